/**
 * The website Q&A pipeline, composed from ragline's stages:
 *
 *   crawl | readFiles ─▶ extract ─▶ skipUnchanged ─▶ chunk ─▶ addMetadata ─▶ embed ─▶ store
 *   question ─▶ embed ─▶ searchChunks (vector + keyword, fused, filtered on metadata) ─▶ packContext ─▶ chat model
 *
 * It is also the reference for using the library: every step below is a public export of `ragline`.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from '../src/errors.js';
import { pipe } from '../src/iter/pipe.js';
import { crawl, normalizeUrl, type CrawlEvent, type CrawlHistory, type CrawlOptions, type CrawlStats } from '../src/stages/crawl.js';
import { openCrawlState, type CrawlState } from '../src/store/crawl-state.js';
import { readFiles } from '../src/stages/read-files.js';
import { extract } from '../src/stages/extract.js';
import { chunk, chunkingFingerprint, type ChunkOptions } from '../src/stages/chunk.js';
import { embed, type EmbedOptions } from '../src/stages/embed.js';
import { estimateIngest } from '../src/embed/estimate.js';
import { embedWithBatchApi, type BatchApiOptions } from '../src/embed/batch-api.js';
import { embeddingCost } from '../src/models/cost.js';
import { skipUnchanged, store, type DocumentOutcome } from '../src/stages/store.js';
import { addMetadata, checkMetadata, metadataFingerprint, type ChunkMetadata } from '../src/stages/metadata.js';
import type { Database } from '../src/store/database.js';
import { checkHnswSettings, dropCollection, ensureCollection, getCollection, requireCollection, type Collection, type HnswSettings } from '../src/store/collections.js';
import { findCachedEmbeddings } from '../src/store/documents.js';
import { searchChunks, type SearchOptions, type SearchResult } from '../src/store/search.js';
import type { ChatModel, EmbeddingModel, Usage } from '../src/models/spec.js';
import { embeddingModelForCollection } from '../src/models/resolve.js';
import type { OpenAIConnectionOptions } from '../src/models/openai/client.js';
import { markCited, packContext, type AnswerSource, type PackOptions } from '../src/ask/pack-context.js';
import { DONT_KNOW } from '../src/models/local/extractive-chat.js';
import type { SourceDocument } from '../src/types.js';

/** Progress of an ingest, reported after every document. */
export interface IngestProgress {
  /** Documents through the pipeline so far. */
  documents: number;
  /** Requests the crawler completed so far (0 for folders). */
  fetched: number;
  /** Page limit of the crawl, for a progress bar's total. */
  maxPages: number | undefined;
  chunks: number;
  tokens: number;
  /** The document just finished. */
  url: string;
  outcome: DocumentOutcome;
}

/** Options of {@link ingest}. */
export interface IngestOptions {
  db: Database;
  /** A start URL (http/https) or a local file or folder of .html, .md and .txt files. */
  source: string;
  /** @default 'default' */
  collection?: string;
  embedding: EmbeddingModel;
  /** Chunk size and overlap; the encoding and input limit come from the embedding model. */
  chunk?: Pick<ChunkOptions, 'maxTokens' | 'overlapTokens'>;
  /** Crawl options (page limit, concurrency, private networks...). */
  crawl?: Omit<CrawlOptions, 'onEvent' | 'signal'>;
  /** Batch size and concurrency of embedding requests. */
  embed?: Pick<EmbedOptions, 'batchSize' | 'concurrency'>;
  /**
   * Metadata stored with every chunk of this ingest, to filter searches on later: ingest with
   * `{ product: 'api', version: '3.14' }`, then `search({ ..., filter: { product: 'api' } })`.
   * Values are JSON (strings, numbers, booleans, null, arrays, objects).
   *
   * A page's metadata is that of the last ingest that read it, like its chunking: re-ingesting an
   * unchanged page with other metadata rewrites its chunks with the new metadata (the page counts
   * as changed) but embeds nothing, as its vectors are reused; with the same metadata it is
   * unchanged. An ingest without `metadata` therefore removes the metadata an earlier one set.
   */
  metadata?: ChunkMetadata;
  /**
   * HNSW settings of the collection, used only if this ingest creates it. An existing collection
   * keeps its own: change them with `configureCollectionIndex` (`ragline collections index`).
   * @default pgvector's defaults
   */
  index?: HnswSettings;
  onProgress?: (progress: IngestProgress) => void;
  /** Every crawl event (skips with their reasons, pages). */
  onCrawlEvent?: (event: CrawlEvent) => void;
  /**
   * Only count: crawl (or read), extract and chunk, then report pages, chunks, tokens and the
   * estimated price, without calling the embedding API or writing to the store.
   * @default false
   */
  dryRun?: boolean;
  /**
   * Embed through OpenAI's Batch API (half price, results within 24 h): request files are uploaded
   * as batches recorded in the store, polled, and their vectors stored; an interrupted ingest picks
   * its batches up again. `true` or the batch options (poll interval, limits, events).
   * @default false
   */
  batchApi?: boolean | Omit<BatchApiOptions, 'pool' | 'model' | 'cache' | 'signal'>;
  /**
   * Keep the crawl's frontier and page state in the store (per collection and start URL): an
   * interrupted crawl resumes where it stopped, and a re-crawl sends conditional requests, skips
   * pages whose sitemap lastmod is unchanged and removes pages that are gone. Off: every run
   * crawls from scratch and removes nothing.
   * @default true
   */
  incremental?: boolean;
  signal?: AbortSignal;
}

/** What an ingest did. */
export interface IngestSummary {
  collection: string;
  source: string;
  /** Documents read or fetched with readable content, changed or not. */
  documents: number;
  new: number;
  changed: number;
  unchanged: number;
  /** Documents without readable text. */
  empty: number;
  /** Documents removed because their page is gone (404/410, noindex, unreachable in a complete crawl). */
  removed: number;
  /** True when this ingest continued an interrupted crawl of the same collection and start URL. */
  resumed: boolean;
  /** URLs the crawler skipped (errors, non-HTML, off-site redirects), by reason. */
  skipped: Record<string, number>;
  /** Chunks written by this run. */
  chunks: number;
  /** Chunks sent to the embedding API, and the tokens they cost. */
  embeddedChunks: number;
  embeddedTokens: number;
  /** Chunks whose vectors were reused from the store. */
  cachedChunks: number;
  /** US dollars for `embeddedTokens` at the catalog price (an estimate); absent when the model has no price. */
  costUsd?: number;
  /** Set by `dryRun`: the counts say what a real run would do; nothing was embedded or written. */
  dryRun?: boolean;
  /** With `dryRun`: the price of the same embedding through the Batch API. */
  batchCostUsd?: number;
  ms: number;
}

function sourceDocuments(
  options: IngestOptions,
  onStats: (stats: Readonly<CrawlStats>) => void,
  state?: { history: CrawlHistory; record: (event: CrawlEvent) => void },
): AsyncIterable<SourceDocument> {
  if (/^https?:\/\//i.test(options.source)) {
    const pages = crawl(options.source, {
      ...options.crawl,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(state ? { history: state.history } : {}),
      onEvent: (event) => {
        onStats(pages.stats);
        state?.record(event);
        options.onCrawlEvent?.(event);
      },
    });
    return pages;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(options.source) && !options.source.startsWith('file://')) {
    throw new ConfigError('source', options.source, `Cannot ingest "${options.source}": only http(s) URLs, files and folders are supported.`);
  }
  const path = options.source.startsWith('file://') ? new URL(options.source).pathname : options.source;
  if (!existsSync(path)) {
    throw new ConfigError('source', options.source, `Cannot ingest "${options.source}": it is not an http(s) URL and no such file or folder exists.`);
  }
  return readFiles(path);
}

/**
 * Ingest a website or a folder into a collection: crawl or read, extract the main content, skip
 * what is unchanged since the last run, chunk, embed (reusing stored vectors for unchanged text)
 * and store, each page replacing its previous version atomically.
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  if (options.metadata !== undefined) checkMetadata(options.metadata);
  if (options.index !== undefined) checkHnswSettings(options.index);
  if (options.dryRun) return dryRunIngest(options, started);
  const { pool } = options.db;
  const name = options.collection ?? 'default';
  const existed = (await getCollection(pool, name)) !== undefined;
  const collection = await ensureCollection(pool, name, options.embedding, options.index ? { index: options.index } : {});
  try {
    return await runIngest(options, collection, started);
  } catch (err) {
    // A first ingest that stored nothing (refused start URL, bad folder) leaves no empty collection behind.
    if (!existed && (await countDocuments(pool, collection.id)) === 0) await dropCollection(pool, name).catch(() => undefined);
    throw err;
  }
}

/** `ingest` with `dryRun`: the estimate in the shape of a summary. */
async function dryRunIngest(options: IngestOptions, started: number): Promise<IngestSummary> {
  let crawlStats: Readonly<CrawlStats> | undefined;
  const name = options.collection ?? 'default';
  const { tokens: _tokens, ...estimate } = await estimateIngest({
    pool: options.db.pool,
    collection: name,
    documents: sourceDocuments(options, (s) => (crawlStats = s)),
    embedding: options.embedding,
    ...(options.chunk ? { chunk: options.chunk } : {}),
    ...(options.metadata ? { metadata: options.metadata } : {}),
  });
  return {
    collection: name,
    source: options.source,
    skipped: skippedCounts(crawlStats),
    removed: 0,
    resumed: false,
    ...estimate,
    dryRun: true,
    ms: Math.round(performance.now() - started),
  };
}

/** The crawl's skips by reason, without the reasons that did not occur. */
function skippedCounts(stats: Readonly<CrawlStats> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(stats?.skipped ?? {}).filter(([, n]) => n > 0));
}


async function countDocuments(pool: Database['pool'], collectionId: number): Promise<number> {
  const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM documents WHERE collection_id = $1', [collectionId]);
  return rows[0]!.n;
}

async function runIngest(options: IngestOptions, collection: Collection, started: number): Promise<IngestSummary> {
  const { pool } = options.db;
  const chunkOptions: ChunkOptions = {
    ...options.chunk,
    encoding: options.embedding.encoding,
    maxInputTokens: options.embedding.maxInputTokens,
  };
  // Stored with each page: a page stored with other chunking or other metadata is not unchanged.
  const chunking = metadataFingerprint(chunkingFingerprint(chunkOptions), options.metadata);
  const summary: IngestSummary = {
    collection: collection.name,
    source: options.source,
    documents: 0,
    new: 0,
    changed: 0,
    unchanged: 0,
    empty: 0,
    removed: 0,
    resumed: false,
    skipped: {},
    chunks: 0,
    embeddedChunks: 0,
    embeddedTokens: 0,
    cachedChunks: 0,
    ms: 0,
  };
  let crawlStats: Readonly<CrawlStats> | undefined;
  const isCrawl = /^https?:\/\//i.test(options.source);
  let crawlState: CrawlState | undefined;
  if (isCrawl && options.incremental !== false) {
    crawlState = await openCrawlState({ pool, collectionId: collection.id, startUrl: normalizeUrl(options.source), chunking });
    summary.resumed = crawlState.resumed;
  }
  const progress = (url: string, outcome: DocumentOutcome) =>
    options.onProgress?.({
      documents: summary.documents + summary.empty,
      fetched: crawlStats?.fetched ?? 0,
      maxPages: isCrawl ? (options.crawl?.maxPages ?? 1000) : undefined,
      chunks: summary.chunks,
      tokens: summary.embeddedTokens,
      url,
      outcome,
    });

  const state = crawlState && {
    history: crawlState.history,
    record: (event: CrawlEvent) => {
      crawlState!.record(event);
      // Known unchanged without fetching (sitemap lastmod) or by a 304: its document stays as stored.
      if (event.type === 'unchanged') {
        summary.unchanged++;
        summary.documents++;
        progress(event.url, 'unchanged');
      }
    },
  };
  // What both embedding paths share: the model, the stored vectors as a cache, cancellation.
  const embedding = {
    model: options.embedding,
    cache: (hashes: string[]) => findCachedEmbeddings(pool, options.embedding, hashes),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const stored = pipe(
    sourceDocuments(options, (s) => (crawlStats = s), state),
    (docs) => extract(docs),
    (docs) =>
      skipUnchanged(docs, {
        pool,
        collection,
        chunking,
        onSkip: (doc, outcome) => {
          crawlState?.settled(doc.url, doc.contentHash);
          if (outcome === 'unchanged') {
            summary.unchanged++;
            summary.documents++;
          } else summary.empty++;
          progress(doc.url, outcome);
        },
      }),
    (docs) => chunk(docs, chunkOptions),
    (docs) => addMetadata(docs, options.metadata ?? {}),
    (docs) =>
      options.batchApi
        ? embedWithBatchApi(docs, { ...(options.batchApi === true ? {} : options.batchApi), pool, ...embedding })
        : embed(docs, { ...options.embed, ...embedding }),
    (docs) => store(docs, { pool, collection, chunking }),
  );
  try {
    for await (const doc of stored) {
      crawlState?.settled(doc.url);
      summary.documents++;
      summary[doc.outcome]++;
      summary.chunks += doc.chunks;
      summary.cachedChunks += doc.cachedChunks;
      summary.embeddedChunks += doc.chunks - doc.cachedChunks;
      summary.embeddedTokens += doc.embeddedTokens;
      progress(doc.url, doc.outcome);
    }
  } catch (err) {
    // The run stays open: the next ingest of this collection and start URL resumes it.
    await crawlState?.flush().catch(() => undefined);
    throw err;
  }
  summary.skipped = skippedCounts(crawlStats);
  if (crawlState) {
    // Only a crawl that reached every page may conclude that the pages it did not reach are gone.
    await crawlState.finish(crawlStats?.complete === true);
    summary.removed = crawlState.removed.length;
  }
  const cost = embeddingCost(options.embedding.modelId, summary.embeddedTokens);
  if (cost !== undefined) summary.costUsd = cost;
  summary.ms = Math.round(performance.now() - started);
  return summary;
}

/** Options of {@link search}. */
export interface SearchCollectionOptions extends SearchOptions {
  db: Database;
  /** @default 'default' */
  collection?: string;
  query: string;
  /** How to reach the API if the collection's embedding model is an OpenAI one. */
  connection?: OpenAIConnectionOptions;
  signal?: AbortSignal;
}

async function embedQuery(collection: Collection, text: string, connection: OpenAIConnectionOptions | undefined, signal?: AbortSignal): Promise<Float32Array> {
  const model = embeddingModelForCollection(collection, connection);
  const { embeddings } = await model.embed({ inputs: [text], ...(signal ? { signal } : {}) });
  return embeddings[0]!;
}

/**
 * Top chunks of a collection for a query: vector and keyword retrieval fused by reciprocal rank.
 * `filter` keeps only chunks whose metadata contains it (`{ product: 'api' }`, see
 * {@link IngestOptions.metadata}); `efSearch` overrides the collection's HNSW candidate list size.
 */
export async function search(options: SearchCollectionOptions): Promise<SearchResult[]> {
  const { db, collection: name = 'default', query, connection, signal, ...searchOptions } = options;
  if (!query.trim()) throw new ConfigError('query', query, 'The query is empty: give a question or keywords.');
  // Checked before the question is embedded: a bad filter or efSearch costs no API call.
  if (searchOptions.filter !== undefined) checkMetadata(searchOptions.filter, 'filter');
  if (searchOptions.efSearch !== undefined) checkHnswSettings({ efSearch: searchOptions.efSearch });
  const collection = await requireCollection(db.pool, name);
  const vector = searchOptions.mode === 'keyword' ? undefined : await embedQuery(collection, query, connection, signal);
  return searchChunks(db.pool, collection, { text: query, ...(vector ? { vector } : {}) }, searchOptions);
}

/** Options of {@link askStream} and {@link ask}. */
export interface AskOptions {
  db: Database;
  /** @default 'default' */
  collection?: string;
  question: string;
  chat: ChatModel;
  /**
   * Chunks to retrieve; as many as fit the window are given to the model.
   * @default 8
   */
  k?: number;
  /**
   * Only chunks whose metadata contains this (see {@link IngestOptions.metadata}):
   * `{ product: 'api' }`. The answer is then drawn from those sources only.
   */
  filter?: Record<string, unknown>;
  /**
   * HNSW candidate list size for the retrieval.
   * @default the collection's `efSearch`, else 40 (pgvector's default)
   */
  efSearch?: number;
  /** Other retrieval settings: mode, candidates, rrfK. */
  search?: Omit<SearchOptions, 'k' | 'filter' | 'efSearch'>;
  pack?: PackOptions;
  connection?: OpenAIConnectionOptions;
  signal?: AbortSignal;
}

/** Events of a streamed answer: the sources first, then the text, then the end. */
export type AskEvent =
  | { type: 'sources'; sources: AnswerSource[] }
  | { type: 'text'; text: string }
  | { type: 'done'; answer: string; sources: AnswerSource[]; usage?: Usage; finishReason: string; promptTokens: number };

/**
 * Answer a question from a collection, streamed. The sources are known before the model writes a
 * word, so they are the first event — a client can show them while the answer streams.
 */
export async function* askStream(options: AskOptions): AsyncGenerator<AskEvent> {
  const results = await search({
    db: options.db,
    query: options.question,
    k: options.k ?? 8,
    ...options.search,
    ...(options.filter ? { filter: options.filter } : {}),
    ...(options.efSearch !== undefined ? { efSearch: options.efSearch } : {}),
    ...(options.collection ? { collection: options.collection } : {}),
    ...(options.connection ? { connection: options.connection } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const packed = packContext(results, options.question, options.chat, options.pack);
  yield { type: 'sources', sources: packed.sources };
  if (packed.sources.length === 0) {
    // Nothing retrieved: nothing for a model to answer from, so no call is made.
    yield { type: 'text', text: DONT_KNOW };
    yield { type: 'done', answer: DONT_KNOW, sources: [], finishReason: 'stop', promptTokens: 0 };
    return;
  }
  let answer = '';
  for await (const part of options.chat.stream({
    messages: packed.messages,
    maxOutputTokens: packed.maxOutputTokens,
    temperature: 0,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    if (part.type === 'text') {
      answer += part.text;
      yield part;
    } else {
      yield {
        type: 'done',
        answer,
        sources: markCited(answer, packed.sources),
        finishReason: part.finishReason,
        promptTokens: packed.promptTokens,
        ...(part.usage ? { usage: part.usage } : {}),
      };
    }
  }
}

/** The answer to a question, with its sources. */
export interface AskResult {
  answer: string;
  sources: AnswerSource[];
  usage?: Usage;
  promptTokens: number;
  finishReason: string;
}

/** Answer a question from a collection, without streaming. */
export async function ask(options: AskOptions): Promise<AskResult> {
  for await (const event of askStream(options)) {
    if (event.type === 'done') {
      const { type: _type, ...result } = event;
      return result;
    }
  }
  throw new Error('The answer stream ended without a result.');
}
