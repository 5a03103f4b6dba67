import type pg from 'pg';
import { ConfigError, describeValue } from '../errors.js';
import { checkInteger } from '../options/check.js';
import { SEARCH_DEFAULTS } from '../options/defaults.js';
import { HNSW_DEFAULTS, checkHnswSettings, type Collection } from './collections.js';
import { sqlInt, toVectorText, vectorType } from './vector-sql.js';
import { withTransaction } from './transaction.js';
import { keywordQuery } from './keywords.js';

/** How to retrieve. */
export interface SearchOptions {
  /**
   * Results to return.
   * @default 5
   */
  k?: number;
  /**
   * Candidates each retriever contributes before fusion.
   * @default max(4k, 40)
   */
  candidates?: number;
  /**
   * `hybrid` fuses vector and keyword rankings; `vector` and `keyword` use one.
   * @default 'hybrid'
   */
  mode?: 'hybrid' | 'vector' | 'keyword';
  /**
   * The constant of reciprocal rank fusion: score = Σ 1 / (rrfK + rank).
   * @default 60
   */
  rrfK?: number;
  /**
   * HNSW candidate list size for this search: higher finds more of the true nearest neighbours,
   * slower.
   * @default the collection's `efSearch`, else 40 (pgvector's default)
   */
  efSearch?: number;
  /**
   * Only chunks whose metadata contains this JSON (`metadata @> filter`): `{ version: '3.14' }`,
   * `{ speakers: ['Ana'] }`. Still returns `k` results when that many match: on pgvector 0.8 and
   * later the HNSW scan goes on until enough rows pass the filter (iterative scan); before 0.8 it
   * widens its candidate list instead.
   */
  filter?: Record<string, unknown>;
}

/** pgvector's version on a pool's database, read once per pool. */
const vectorVersions = new WeakMap<pg.Pool, Promise<number[]>>();

async function vectorVersion(pool: pg.Pool): Promise<number[]> {
  let version = vectorVersions.get(pool);
  if (!version) {
    version = pool
      .query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'`)
      .then(({ rows }) => (rows[0]?.v ?? '0').split('.').map(Number));
    vectorVersions.set(pool, version);
    version.catch(() => vectorVersions.delete(pool));
  }
  return version;
}

/** Whether the server's pgvector has iterative index scans (0.8.0 and later). */
export async function hasIterativeScan(pool: pg.Pool): Promise<boolean> {
  const [major = 0, minor = 0] = await vectorVersion(pool);
  return major > 0 || minor >= 8;
}

/** One retrieved chunk. */
export interface SearchResult {
  chunkId: number;
  url: string;
  title: string;
  headingPath: string[];
  ordinal: number;
  text: string;
  tokenCount: number;
  metadata: Record<string, unknown>;
  /** Fused score (higher is better); for a single mode, the same formula over one ranking. */
  score: number;
  /** Cosine distance to the question, when the vector retriever found the chunk. */
  distance?: number;
  /** 1-based ranks in each retriever, when found there. */
  vectorRank?: number;
  keywordRank?: number;
}

type Row = {
  id: string;
  url: string;
  title: string;
  heading_path: string[];
  ordinal: number;
  text: string;
  token_count: number;
  metadata: Record<string, unknown>;
  distance?: number;
};

const COLUMNS = `k.id, d.source AS url, d.title, k.heading_path, k.ordinal, k.text, k.token_count, k.metadata`;

/**
 * Top chunks of a collection for a question: the nearest vectors by cosine distance (through the
 * collection's HNSW index) and the best full-text matches, fused by reciprocal rank.
 */
export async function searchChunks(
  pool: pg.Pool,
  collection: Collection,
  query: { vector?: Float32Array; text: string },
  options: SearchOptions = {},
): Promise<SearchResult[]> {
  const k = checkInteger('k', options.k ?? SEARCH_DEFAULTS.k, { min: 1, max: 1000 });
  const mode = options.mode ?? SEARCH_DEFAULTS.mode;
  const candidates = Math.max(options.candidates ?? Math.max(4 * k, 40), k);
  const rrfK = options.rrfK ?? SEARCH_DEFAULTS.rrfK;
  const efSearch = options.efSearch ?? collection.index?.efSearch ?? HNSW_DEFAULTS.efSearch;
  checkHnswSettings({ efSearch });
  if (options.filter !== undefined && (typeof options.filter !== 'object' || options.filter === null || Array.isArray(options.filter))) {
    throw new ConfigError('filter', options.filter, `Expected \`filter\` to be an object of metadata to match, like { "version": "3.14" }, got ${describeValue(options.filter)}.`);
  }
  const filter = options.filter === undefined || Object.keys(options.filter).length === 0 ? undefined : JSON.stringify(options.filter);
  // Bound parameters after the query's own: the filter is $3 when there is one.
  const where = filter === undefined ? '' : ' AND k.metadata @> $3::jsonb';
  // The collection id and dimensions are inlined, not bound: the planner can only use the
  // collection's partial index when it sees the literal of its WHERE clause.
  const id = sqlInt(collection.id);
  const type = vectorType(collection.dimensions);

  let vectorRows: Row[] = [];
  let keywordRows: Row[] = [];
  if (mode !== 'keyword') {
    if (!query.vector) throw new ConfigError('vector', undefined, 'A vector or hybrid search needs the question embedded.');
    const vector = toVectorText(query.vector);
    const iterative = await hasIterativeScan(pool);
    vectorRows = await withTransaction(pool, async (client) => {
      // pgvector's cost estimate grows with ef_search: at 100k chunks and ef_search 200 the planner
      // preferred an exact sequential scan, ~100x slower (bench/search-scale.ts). A collection
      // with an index is searched through it; without one (a deferred bulk load) the scan is exact.
      // Bitmap scans stay allowed, so a selective metadata filter can still use its GIN index.
      await client.query('SET LOCAL enable_seqscan = off');
      if (iterative) {
        // The scan goes on past ef_search until `candidates` rows (that pass the filter) are found.
        // relaxed_order may return neighbours slightly out of order: they are sorted below.
        await client.query(`SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`, [String(efSearch)]);
      } else {
        // Before 0.8 an HNSW scan returns at most ef_search rows, fewer after a filter.
        await client.query(`SELECT set_config('hnsw.ef_search', $1, true)`, [String(Math.min(1000, Math.max(efSearch, filter === undefined ? candidates : 4 * candidates)))]);
      }
      const res = await client.query<Row>(
        `SELECT ${COLUMNS}, k.embedding::${type} <=> $1::${type} AS distance
           FROM chunks k JOIN documents d ON d.id = k.document_id
          WHERE k.collection_id = ${id}${where}
          ORDER BY k.embedding::${type} <=> $1::${type}
          LIMIT $2`,
        filter === undefined ? [vector, candidates] : [vector, candidates, filter],
      );
      return res.rows.sort((a, b) => Number(a.distance) - Number(b.distance));
    });
  }
  const tsquery = keywordQuery(query.text);
  if (mode !== 'vector' && tsquery) {
    const res = await pool.query<Row>(
      `SELECT ${COLUMNS}
         FROM chunks k JOIN documents d ON d.id = k.document_id, CAST($1 AS tsquery) q
        WHERE k.collection_id = ${id} AND k.tsv @@ q${where}
        ORDER BY ts_rank_cd(k.tsv, q, 1) DESC, k.id
        LIMIT $2`,
      filter === undefined ? [tsquery, candidates] : [tsquery, candidates, filter],
    );
    keywordRows = res.rows;
  }

  const fused = new Map<string, SearchResult>();
  const add = (rows: Row[], which: 'vectorRank' | 'keywordRank') => {
    rows.forEach((r, i) => {
      const rank = i + 1;
      let result = fused.get(r.id);
      if (!result) {
        result = {
          chunkId: Number(r.id),
          url: r.url,
          title: r.title,
          headingPath: r.heading_path,
          ordinal: r.ordinal,
          text: r.text,
          tokenCount: r.token_count,
          metadata: r.metadata,
          score: 0,
        };
        fused.set(r.id, result);
      }
      result[which] = rank;
      if (r.distance !== undefined && r.distance !== null) result.distance = Number(r.distance);
      result.score += 1 / (rrfK + rank);
    });
  };
  add(vectorRows, 'vectorRank');
  add(keywordRows, 'keywordRank');
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || (a.vectorRank ?? Infinity) - (b.vectorRank ?? Infinity))
    .slice(0, k);
}
