/**
 * Retrieval as steps: vector candidates and keyword candidates, fused by reciprocal rank, then
 * an optional reranker, then the top k. Each step is its own function; `searchChunks` composes
 * them for a query that is already embedded.
 */
import type pg from 'pg';
import { ConfigError, describeValue } from '../errors.js';
import { checkBoolean, checkInteger } from '../options/check.js';
import { SEARCH_DEFAULTS } from '../options/defaults.js';
import { HNSW_DEFAULTS, checkHnswSettings, type Collection } from '../store/collections.js';
import { nearestChunks } from '../store/vector-search.js';
import { keywordMatches } from '../store/keyword-search.js';
import { keywordQuery } from '../text/keywords.js';
import { fuseRankings } from './fuse.js';
import { rerankResults } from './rerank.js';
import { demoteNoise } from './noise.js';
import { capPerPage } from './diversity.js';
import { parseCondition, splitConditions, type MetadataCondition } from './metadata-conditions.js';
import type { Ranking, SearchOptions, SearchResult } from './types.js';

/** A query: its text, and its vector for vector or hybrid retrieval. */
export interface RetrievalQuery {
  text: string;
  vector?: Float32Array;
}

/** The settings of one search, checked and with defaults filled in. */
export interface RetrievalPlan {
  k: number;
  mode: 'hybrid' | 'vector' | 'keyword';
  candidates: number;
  rrfK: number;
  efSearch: number;
  filter?: Record<string, unknown>;
  /** Metadata conditions other than containment. */
  conditions?: MetadataCondition[];
  maxPerPage: number;
  keepNoisePages: boolean;
}

/** Check the options and fill in the defaults (the collection's efSearch among them). */
export function planRetrieval(collection: Collection, options: SearchOptions = {}): RetrievalPlan {
  const k = checkInteger('k', options.k ?? SEARCH_DEFAULTS.k, { min: 1, max: 1000 });
  const efSearch = options.efSearch ?? collection.index?.efSearch ?? HNSW_DEFAULTS.efSearch;
  checkHnswSettings({ efSearch });
  if (options.filter !== undefined && (typeof options.filter !== 'object' || options.filter === null || Array.isArray(options.filter))) {
    throw new ConfigError('filter', options.filter, `Expected \`filter\` to be an object of metadata to match, like { "version": "3.14" }, got ${describeValue(options.filter)}.`);
  }
  const { contains, rest } = splitConditions((options.where ?? []).map((c) => (typeof c === 'string' ? parseCondition(c) : c)));
  // A key `filter` already holds keeps its value there; a second value of it is a condition too.
  const extra = Object.fromEntries(Object.entries(contains).filter(([key]) => !options.filter || !Object.hasOwn(options.filter, key)));
  for (const [key, value] of Object.entries(contains)) if (!Object.hasOwn(extra, key)) rest.push({ key, op: '=', value });
  const merged = { ...options.filter, ...extra };
  const filter = Object.keys(merged).length === 0 ? undefined : merged;
  return {
    k,
    mode: options.mode ?? SEARCH_DEFAULTS.mode,
    candidates: Math.max(options.candidates ?? Math.max(4 * k, 40), k),
    rrfK: options.rrfK ?? SEARCH_DEFAULTS.rrfK,
    efSearch,
    ...(filter ? { filter } : {}),
    ...(rest.length > 0 ? { conditions: rest } : {}),
    maxPerPage: checkInteger('maxPerPage', options.maxPerPage ?? SEARCH_DEFAULTS.maxPerPage, { min: 0 }),
    keepNoisePages: checkBoolean('keepNoisePages', options.keepNoisePages ?? SEARCH_DEFAULTS.keepNoisePages),
  };
}

/** The plan's metadata filter and conditions, as a retriever query takes them. */
function metadataOptions(plan: RetrievalPlan): { filter?: Record<string, unknown>; conditions?: MetadataCondition[] } {
  return { ...(plan.filter ? { filter: plan.filter } : {}), ...(plan.conditions ? { conditions: plan.conditions } : {}) };
}

/** Step: the vector retriever's ranking. */
export async function vectorCandidates(pool: pg.Pool, collection: Collection, vector: Float32Array, plan: RetrievalPlan): Promise<Ranking> {
  const chunks = await nearestChunks(pool, collection, vector, { limit: plan.candidates, efSearch: plan.efSearch, ...metadataOptions(plan) });
  return { retriever: 'vector', chunks };
}

/** Step: the keyword retriever's ranking (empty when the text has no searchable word). */
export async function keywordCandidates(pool: pg.Pool, collection: Collection, text: string, plan: RetrievalPlan): Promise<Ranking> {
  const tsquery = keywordQuery(text);
  const chunks = tsquery ? await keywordMatches(pool, collection, tsquery, { limit: plan.candidates, ...metadataOptions(plan) }) : [];
  return { retriever: 'keyword', chunks };
}

/**
 * Top chunks of a collection for a query: the nearest vectors by cosine distance (through the
 * collection's HNSW index) and the best full-text matches, fused by reciprocal rank, noise pages
 * moved last (unless `keepNoisePages`), reranked when `options.reranker` is given, then the top
 * k with at most `maxPerPage` passages of one page.
 */
export async function searchChunks(
  pool: pg.Pool,
  collection: Collection,
  query: RetrievalQuery,
  options: SearchOptions = {},
  signal?: AbortSignal,
): Promise<SearchResult[]> {
  const plan = planRetrieval(collection, options);
  const rankings: Ranking[] = [];
  if (plan.mode !== 'keyword') {
    if (!query.vector) throw new ConfigError('vector', undefined, 'A vector or hybrid search needs the question embedded.');
    rankings.push(await vectorCandidates(pool, collection, query.vector, plan));
  }
  if (plan.mode !== 'vector') rankings.push(await keywordCandidates(pool, collection, query.text, plan));
  const fused = fuseRankings(rankings, plan.rrfK);
  const ranked = plan.keepNoisePages ? fused : demoteNoise(fused);
  if (!options.reranker) return capPerPage(ranked, plan.k, plan.maxPerPage);
  const candidates = ranked.slice(0, Math.max(options.rerankCandidates ?? SEARCH_DEFAULTS.rerankCandidates, plan.k));
  const reranked = await rerankResults(candidates, options.reranker, query.text, signal ? { signal } : {});
  return capPerPage(plan.keepNoisePages ? reranked : demoteNoise(reranked), plan.k, plan.maxPerPage);
}
