/**
 * The defaults of ragline's options, each written once: the library applies these objects, and the
 * CLI's help shows them. The `@default` of each option's JSDoc states the same value for readers.
 */

/** Name of the collection used when none is given (ingest, search, ask, jobs, the server). */
export const DEFAULT_COLLECTION = 'default';

/** Defaults of `crawl` (and of an ingest's `crawl` options). */
export const CRAWL_DEFAULTS = Object.freeze({
  maxPages: 1000,
  maxDepth: Infinity,
  concurrency: 8,
  scope: 'host',
  delayMs: 0,
  retries: 2,
  retryBaseMs: 1000,
  maxRetryAfterMs: 120_000,
  /** 50 MiB: the largest PDF or Word file a crawl downloads (pages keep `HTTP_DEFAULTS.maxBytes`). */
  maxFileBytes: 50 * 1024 * 1024,
} as const);

/** Defaults of `httpGet`: every request of a crawl. */
export const HTTP_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  /** 10 MiB. */
  maxBytes: 10 * 1024 * 1024,
  maxRedirects: 10,
} as const);

/** Defaults of `readFiles`. */
export const READ_FILES_DEFAULTS = Object.freeze({
  /** 10 MiB. */
  maxBytes: 10 * 1024 * 1024,
  /** 50 MiB: the largest PDF or Word file read, as in a crawl. */
  maxFileBytes: 50 * 1024 * 1024,
} as const);

/** Defaults of `chunk` (an ingest's `chunk` options). */
export const CHUNK_DEFAULTS = Object.freeze({
  /** As in the OpenAI "Web Q&A" tutorial. */
  maxTokens: 500,
  overlapTokens: 0,
  encoding: 'cl100k_base',
  /** text-embedding-3-*'s input limit. */
  maxInputTokens: 8191,
} as const);

/** Defaults of `embed` (an ingest's `embed` options). */
export const EMBED_DEFAULTS = Object.freeze({
  batchSize: 512,
  concurrency: 4,
  /** A partial batch waits at most this long for more chunks (a slow crawl stores pages as it goes). */
  maxWaitMs: 1000,
} as const);

/**
 * When a collection gets its HNSW index. Below the threshold a search scans the collection exactly
 * (exact, and fast at that size), and ingesting is several times faster without a graph to insert
 * into; an ingest that leaves the collection at or past it builds the index once, after the load.
 * Measured with `npm run bench:index-threshold` (2 shared cores, loaded; 1024-d / 1536-d):
 * embedded, exact search 36/127 ms at 1k chunks, 96/207 ms at 5k, 1.3/2.5 s at 20k; through HNSW
 * 22/51 ms at 1k, 94/35 ms at 5k; building it in WASM costs 5-50 ms a chunk (4.7/16 s at 1k,
 * 146/245 s at 5k). Server: exact 20/64 ms at 1k, 108/115 ms at 5k, 303 ms at 20k (1024-d); HNSW
 * 10-92 ms; build 2.6 s at 1k, 22-25 s at 5k.
 */
export const INDEX_DEFAULTS = Object.freeze({
  /** Chunks from which a collection on the embedded database (PGlite, WASM) gets its index. */
  minChunksEmbedded: 10_000,
  /** Chunks from which a collection on a Postgres server gets its index. */
  minChunksServer: 5_000,
} as const);

/** Defaults of the OpenAI rate limiter and the requests it schedules. */
export const RATE_LIMIT_DEFAULTS = Object.freeze({
  /** Most tokens of the first embedding request while the account's budgets are unknown. */
  probeTokens: 8192,
} as const);

/** Defaults of `embedWithBatchApi` (an ingest's `batchApi`). */
export const BATCH_API_DEFAULTS = Object.freeze({
  /** How often open batches are polled, ms. */
  pollIntervalMs: 30_000,
  /** Inputs per request line of a batch file. */
  inputsPerRequest: 512,
} as const);

/** Defaults of `search` and `searchChunks`. */
export const SEARCH_DEFAULTS = Object.freeze({
  k: 5,
  mode: 'hybrid',
  rrfK: 60,
  /** Fused candidates a reranker is given (at least `k`). */
  rerankCandidates: 30,
  /** Passages of one page in the top k (0: no cap): distinct pages, measured best for hit@k (bench/eval.ts). */
  maxPerPage: 1,
  /** Generated index/search/404 pages and link lists are ranked last unless kept. */
  keepNoisePages: false,
} as const);

/** Defaults of `evaluate` (`ragline eval`). */
export const EVAL_DEFAULTS = Object.freeze({
  /** Passages retrieved per question; metrics rank the distinct pages among them. */
  k: 10,
} as const);

/** Defaults of `ask` and `askStream`. */
export const ASK_DEFAULTS = Object.freeze({
  /** Chunks retrieved; as many as fit the window are given to the model. */
  k: 8,
  /** Passages of one page among them: the best page gives more than one, and others still get in. */
  maxPerPage: 2,
} as const);

/** Defaults of the job queue (`enqueueJobs`, `listJobs`, `failJob`). */
export const JOB_DEFAULTS = Object.freeze({
  maxAttempts: 3,
  listLimit: 100,
  retryDelayMs: 10_000,
  maxRetryDelayMs: 600_000,
} as const);

/** Defaults of `startWorker`. */
export const WORKER_DEFAULTS = Object.freeze({
  concurrency: 1,
  leaseMs: 30_000,
  pollMs: 1000,
  /** How long `stop` lets running jobs finish before releasing them. */
  graceMs: 30_000,
} as const);

/** Defaults of `generateMinutes` and `transcribeAudio`. */
export const MINUTES_DEFAULTS = Object.freeze({
  maxChunkTokens: 16_000,
  /** Chat calls (and audio pieces) in flight at once. */
  concurrency: 4,
} as const);

/** Defaults of `startServer`. */
export const SERVER_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  requestsPerMinute: 60,
  maxBodyBytes: 65_536,
  maxQuestionChars: 2000,
  maxHistoryMessages: 20,
  maxK: 50,
  maxConcurrentAnswers: 8,
  maxQueuedAnswers: 32,
  maxConcurrentSearches: 16,
  maxQueuedSearches: 64,
  maxCachedChatModels: 16,
} as const);
