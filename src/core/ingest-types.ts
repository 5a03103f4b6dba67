/** The options and results of ingests. */
import type { CrawlEvent, CrawlOptions } from '../stages/crawl.js';
import type { BatchApiOptions } from '../embed/batch-api.js';
import type { EmbedOptions } from '../stages/embed.js';
import type { ChunkOptions } from '../stages/chunk.js';
import type { DocumentOutcome } from '../stages/store.js';
import type { ChunkMetadata } from '../stages/metadata.js';
import type { Database } from '../store/database.js';
import type { HnswSettings } from '../store/collections.js';
import type { EmbeddingModel } from '../models/spec.js';

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

/** What every ingest takes, whatever its documents come from. */
export interface IngestBaseOptions {
  db: Database;
  /** @default 'default' */
  collection?: string;
  /** The embedding model; a collection's vectors all come from one model (checked). */
  embedding: EmbeddingModel;
  /** Chunk size and overlap; the encoding and input limit come from the embedding model. */
  chunk?: Pick<ChunkOptions, 'maxTokens' | 'overlapTokens'>;
  /** Batch size and concurrency of embedding requests. */
  embed?: Pick<EmbedOptions, 'batchSize' | 'concurrency' | 'maxWaitMs'>;
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
  /**
   * An ingest that leaves the collection with at least this many chunks, and without its HNSW
   * index, builds the index at its end (once, after the load). Below, searches scan exactly.
   * `Infinity`: never (a bulk load that builds it later, as jobs with `deferIndex` do).
   * @default INDEX_DEFAULTS.minChunksEmbedded on the embedded database, minChunksServer on a server
   */
  indexMinChunks?: number;
  onProgress?: (progress: IngestProgress) => void;
  /**
   * Re-read and re-chunk everything: a crawl sends no conditional requests and trusts no sitemap
   * `lastmod` (every page is fetched in full), and documents whose text is unchanged are chunked
   * and written again instead of skipped. Vectors still come from the store for text embedded
   * before, so unchanged text costs no embedding. For a new chunker or extractor, or a store that
   * is suspected wrong.
   * @default false
   */
  force?: boolean;
  /**
   * Embed through OpenAI's Batch API (half price, results within 24 h): request files are uploaded
   * as batches recorded in the store, polled, and their vectors stored; an interrupted ingest picks
   * its batches up again. `true` or the batch options (poll interval, limits, events).
   * @default false
   */
  batchApi?: boolean | Omit<BatchApiOptions, 'pool' | 'model' | 'cache' | 'signal'>;
  signal?: AbortSignal;
}

/** Options of {@link ingest}. */
export interface IngestOptions extends IngestBaseOptions {
  /** A start URL (http/https) or a local file or folder of .html, .md, .txt, .pdf and .docx files. */
  source: string;
  /** Crawl options (page limit, concurrency, private networks...). */
  crawl?: Omit<CrawlOptions, 'onEvent' | 'signal'>;
  /** Every crawl event (skips with their reasons, pages). */
  onCrawlEvent?: (event: CrawlEvent) => void;
  /**
   * Only count: crawl (or read), extract and chunk, then report pages, chunks, tokens and the
   * estimated price, without calling the embedding API or writing to the store.
   * @default false
   */
  dryRun?: boolean;
  /**
   * Keep the crawl's frontier and page state in the store (per collection and start URL): an
   * interrupted crawl resumes where it stopped, and a re-crawl sends conditional requests, skips
   * pages whose sitemap lastmod is unchanged and removes pages that are gone. Off: every run
   * crawls from scratch and removes nothing.
   * @default true
   */
  incremental?: boolean;
}

/** A URL, file or document an ingest did not store, and why. */
export interface IngestSkip {
  /** The URL as requested or answered (`file://` for files). */
  url: string;
  /** Its path, for a file on disk. */
  path?: string;
  /**
   * A reason code: the crawl's (`status`, `robots`, `off-site`, ...), a folder's (`too-large`,
   * `unsupported-type`, `unreadable`) or a document's (`corrupt`, `encrypted`, `image-only`).
   */
  reason: string;
  /** The HTTP status, when a response arrived. */
  status?: number;
  /** One line for people. */
  message?: string;
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
  /**
   * What was skipped, by reason: URLs the crawler skipped (errors, non-HTML, off-site redirects),
   * files of a folder (`too-large`, `unsupported-type`, `unreadable`), and documents whose text
   * could not be read (`corrupt`, `encrypted`, `image-only`).
   */
  skipped: Record<string, number>;
  /**
   * Each URL, file or document skipped, with its reason (and HTTP status, when a response
   * arrived), in the order met, the first 1000 (`skipped` counts them all); `skipWords` puts a
   * reason in words.
   */
  skippedItems: IngestSkip[];
  /** Set when the ingest ran with `force`: documents counted `changed` may have the same text as before. */
  force?: boolean;
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
  /** Set when this ingest built the collection's HNSW index (it passed `indexMinChunks`): the build's milliseconds, part of `ms`. */
  indexMs?: number;
  ms: number;
}
