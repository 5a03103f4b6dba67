/**
 * Ingest settings as flat, JSON-able data — what the `ingest` and `jobs add` commands take as flags
 * and what a queued job stores — and the one mapping of them onto the options of `ingest`, used by
 * the CLI and by the job worker alike, so a setting means the same wherever it is given.
 */
import type { CrawlScope } from '../crawl/scope.js';
import type { ChunkMetadata } from '../stages/metadata.js';
import type { HnswSettings } from '../store/collections.js';
import type { IngestOptions } from './ingest-types.js';

/**
 * Flat ingest settings; an unset one leaves the library's default (see `options/defaults.ts`).
 * Stored as JSON with each job, so fields are only added, never renamed.
 */
export interface IngestSettings {
  /**
   * Crawl page limit.
   * @default 1000
   */
  maxPages?: number;
  /**
   * Largest PDF or Word file downloaded or read, in bytes (the crawl's `maxFileBytes`).
   * @default 52428800 (50 MiB)
   */
  maxFileBytes?: number;
  /**
   * Pages fetched at once by the crawl.
   * @default 8
   */
  concurrency?: number;
  /**
   * Largest chunk, in tokens (the chunk stage's `maxTokens`).
   * @default 500
   */
  chunkTokens?: number;
  /**
   * Tokens repeated between consecutive chunks (the chunk stage's `overlapTokens`).
   * @default 0
   */
  chunkOverlap?: number;
  /**
   * HTTP timeout per request, ms.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Crawl loopback and private addresses (local and intranet sites).
   * @default false
   */
  allowPrivateNetwork?: boolean;
  /**
   * Follow links at most this many hops from the start URL.
   * @default Infinity
   */
  maxDepth?: number;
  /** @default 'host' */
  scope?: CrawlScope;
  /**
   * Only follow links matching one of these globs or `re:` regexes.
   * @default [] (all)
   */
  include?: string[];
  /**
   * Never follow links matching one of these.
   * @default []
   */
  exclude?: string[];
  /** @default `ragline/<version> (+project URL)` */
  userAgent?: string;
  /**
   * Cap on page requests per minute over the crawl.
   * @default no cap
   */
  maxRequestsPerMinute?: number;
  /**
   * Least time between two requests to one site, ms.
   * @default 0
   */
  delayMs?: number;
  /**
   * Do not read robots.txt (the crawl's `robots: false`).
   * @default false
   */
  ignoreRobots?: boolean;
  /**
   * Chunks per embedding request.
   * @default 512
   */
  embedBatchSize?: number;
  /**
   * Embedding requests in flight.
   * @default 4
   */
  embedConcurrency?: number;
  /** Metadata stored with every chunk, to filter searches on (`{ product: 'api' }`). */
  metadata?: ChunkMetadata;
  /**
   * HNSW settings of a collection the ingest creates (an existing one keeps its own).
   * @default pgvector's defaults
   */
  index?: HnswSettings;
  /**
   * Re-fetch every page in full and re-chunk every document; vectors of unchanged text still come
   * from the store (the `force` of `ingest`).
   * @default false
   */
  force?: boolean;
}

/** The parts of `ingest`'s options that {@link IngestSettings} set. */
export type IngestSettingsOptions = Required<Pick<IngestOptions, 'chunk' | 'crawl' | 'embed'>> & Pick<IngestOptions, 'metadata' | 'index' | 'force'>;

/** `o` without its undefined fields: what is unset stays unset, and the library's default applies. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The options of `ingest` that `settings` ask for: spread them into the call. */
export function toIngestOptions(settings: IngestSettings): IngestSettingsOptions {
  const s = settings;
  return {
    chunk: defined({ maxTokens: s.chunkTokens, overlapTokens: s.chunkOverlap }),
    crawl: defined({
      maxPages: s.maxPages,
      maxFileBytes: s.maxFileBytes,
      concurrency: s.concurrency,
      timeoutMs: s.timeoutMs,
      allowPrivateNetwork: s.allowPrivateNetwork || undefined,
      maxDepth: s.maxDepth,
      scope: s.scope,
      include: s.include?.length ? s.include : undefined,
      exclude: s.exclude?.length ? s.exclude : undefined,
      userAgent: s.userAgent,
      maxRequestsPerMinute: s.maxRequestsPerMinute,
      delayMs: s.delayMs,
      robots: s.ignoreRobots ? false : undefined,
    }),
    embed: defined({ batchSize: s.embedBatchSize, concurrency: s.embedConcurrency }),
    ...(s.metadata ? { metadata: s.metadata } : {}),
    ...(s.index && Object.keys(s.index).length ? { index: s.index } : {}),
    ...(s.force ? { force: true } : {}),
  };
}
