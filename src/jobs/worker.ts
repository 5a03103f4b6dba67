/**
 * A worker: claims jobs from the queue and runs the website Q&A pipeline's `ingest` for each, at
 * most `concurrency` at a time, renewing each job's lease while it works. Run as many workers as
 * you like against one Postgres server; on the embedded database, which one process holds at a
 * time, the queue still works within that process.
 *
 * Idempotent by construction: `ingest` replaces each page's chunks atomically and skips pages
 * whose text is unchanged, so a job rerun after its worker was killed at any moment ends with the
 * same chunks as an uninterrupted run.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ingest, type IngestSummary } from '../core/ingest.js';
import { ConfigError, FetchError, ModelError, RaglineError } from '../errors.js';
import { checkInteger } from '../options/check.js';
import { WORKER_DEFAULTS } from '../options/defaults.js';
import { toIngestOptions } from '../core/ingest-settings.js';
import type { Database } from '../store/database.js';
import { buildCollectionIndex, dropCollectionIndex, ensureCollection, getCollection } from '../store/collections.js';
import type { EmbeddingModel } from '../models/spec.js';
import type { OpenAIConnectionOptions } from '../models/openai/client.js';
import { defaultProvider, embeddingModelForCollection, resolveEmbeddingModel } from '../models/resolve.js';
import { buryLostJobs, claimJob, completeJob, failJob, hasPendingJobs, hasPendingJobsFor, releaseJob, renewLease, type Job, type JobProgress, type JobState } from './queue.js';

/** What a worker reports as it goes. */
export type WorkerEvent =
  | { type: 'start'; job: Job }
  | { type: 'done'; job: Job; summary: IngestSummary; progress: JobProgress }
  | { type: 'failed'; job: Job; error: unknown; state: JobState | undefined }
  | { type: 'released'; job: Job; progress: JobProgress }
  | { type: 'lost'; job: Job; reason: string }
  /** The last job of a collection loaded with `deferIndex` ended: its HNSW index was built. */
  | { type: 'index'; collection: string; ms: number }
  | { type: 'idle' }
  /** The queue could not be read (server restart, network): tried again after a pause. */
  | { type: 'error'; error: unknown };

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  db: Database;
  /**
   * Jobs run at once by this worker.
   * @default 1
   */
  concurrency?: number;
  /**
   * Lease length: a job whose worker stops renewing is claimed again this long after the last
   * renewal. Renewed every third of it.
   * @default 30000
   */
  leaseMs?: number;
  /**
   * How often an idle worker looks for due jobs.
   * @default 1000
   */
  pollMs?: number;
  /**
   * Backoff after a failed attempt, doubled at each further attempt.
   * @default 10000
   */
  retryDelayMs?: number;
  /**
   * Longest backoff.
   * @default 600000
   */
  maxRetryDelayMs?: number;
  /**
   * Stop once no job is queued, waiting for a retry or running anywhere (a batch run).
   * @default false
   */
  exitWhenIdle?: boolean;
  /**
   * This worker's name in leases.
   * @default `${hostname}:${pid}:${random}`
   */
  workerId?: string;
  /** How to reach the API for OpenAI embedding models. */
  connection?: OpenAIConnectionOptions;
  /**
   * The embedding model for a job.
   * @default the collection's own model when it exists, else the job's `options.model`, else the environment's provider
   */
  embeddingFor?: (job: Job) => Promise<EmbeddingModel> | EmbeddingModel;
  onEvent?: (event: WorkerEvent) => void;
}

/** What a worker did. */
export interface WorkerSummary {
  workerId: string;
  done: number;
  failed: number;
  released: number;
  lost: number;
}

/** A running worker. */
export interface Worker {
  readonly id: string;
  /** Settles when the worker has stopped (idle with `exitWhenIdle`, or after `stop`). */
  readonly finished: Promise<WorkerSummary>;
  /**
   * Stop claiming; let running jobs finish for up to `graceMs`, then abort them and release them
   * to the queue (their attempt not counted). Resolves when everything is settled.
   */
  stop(options?: { graceMs?: number }): Promise<WorkerSummary>;
}

/** HTTP statuses that say a page is not there to fetch, now or on a retry. */
const GONE_STATUSES = new Set([404, 410]);

/**
 * Errors that no retry can fix: the job is dead at once. Among them a start or page URL that
 * answers 404/410, or is refused (a private address without `allowPrivateNetwork`, another scheme).
 */
export function isPermanentError(err: unknown): boolean {
  if (err instanceof ConfigError) return true;
  if (err instanceof FetchError) {
    return (err.reason === 'status' && err.status !== undefined && GONE_STATUSES.has(err.status)) || err.reason === 'private-address' || err.reason === 'scheme';
  }
  if (err instanceof ModelError) return !err.isRetryable;
  return false;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The default {@link WorkerOptions.embeddingFor}; a job that names no provider gets the one `env`
 * selects (`defaultProvider`).
 */
export async function defaultEmbeddingFor(db: Database, job: Job, connection: OpenAIConnectionOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<EmbeddingModel> {
  const existing = await getCollection(db.pool, job.collection);
  if (existing) return embeddingModelForCollection(existing, connection);
  const { provider = defaultProvider(env).provider, embeddingModel, dimensions } = job.options.model ?? {};
  return resolveEmbeddingModel(provider, { ...connection, ...(embeddingModel ? { embeddingModel } : {}), ...(dimensions ? { dimensions } : {}) });
}

class Released extends RaglineError {
  constructor() {
    super('released', 'The worker is shutting down: the job goes back to the queue.');
  }
}

class Lost extends RaglineError {
  constructor() {
    super('lost', 'The job was cancelled, or its lease was taken over by another worker.');
  }
}

/** Start a worker; it runs until idle (`exitWhenIdle`) or stopped. */
export function startWorker(options: WorkerOptions): Worker {
  const worker = new JobWorker(options);
  const finished = worker.loop();
  // `finished` carries loop errors (the database went away); a caller that never awaits it still
  // gets them through stop().
  finished.catch(() => undefined);

  return {
    id: worker.id,
    finished,
    async stop({ graceMs = WORKER_DEFAULTS.graceMs } = {}) {
      await worker.stop(graceMs);
      return finished;
    },
  };
}

/** Run a worker until the queue is idle (or the signal aborts it): `startWorker` for batch runs. */
export async function runWorker(options: WorkerOptions & { signal?: AbortSignal; graceMs?: number }): Promise<WorkerSummary> {
  const worker = startWorker({ exitWhenIdle: true, ...options });
  const onAbort = () => void worker.stop(options.graceMs === undefined ? {} : { graceMs: options.graceMs });
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await worker.finished;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** The state of one running worker: its slots, its jobs in flight, and whether it is stopping. */
class JobWorker {
  readonly id: string;
  private readonly db: Database;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly summary: WorkerSummary;
  private readonly running = new Map<number, { controller: AbortController; promise: Promise<void> }>();
  private stopping = false;
  /** Ends the current nap early, while the loop naps. */
  private wake: (() => void) | undefined;

  constructor(private readonly options: WorkerOptions) {
    this.concurrency = checkInteger('concurrency', options.concurrency ?? WORKER_DEFAULTS.concurrency, { min: 1 });
    this.leaseMs = checkInteger('leaseMs', options.leaseMs ?? WORKER_DEFAULTS.leaseMs, { min: 1 });
    this.pollMs = checkInteger('pollMs', options.pollMs ?? WORKER_DEFAULTS.pollMs, { min: 1 });
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.db = options.db;
    this.summary = { workerId: this.id, done: 0, failed: 0, released: 0, lost: 0 };
  }

  /** Claim and run jobs until stopped (or idle, with `exitWhenIdle`); then wait for the running ones. */
  async loop(): Promise<WorkerSummary> {
    while (!this.stopping) {
      const claimed = await this.fillSlots();
      if (this.stopping) break;
      if (!claimed && this.running.size === 0) {
        this.emit({ type: 'idle' });
        if (this.options.exitWhenIdle && !(await hasPendingJobs(this.db.pool))) break;
      }
      // Woken early when a job of ours ends, so a free slot is filled at once.
      await this.nap(this.pollMs);
    }
    await this.settled();
    return this.summary;
  }

  /** Stop claiming; after `graceMs`, abort the jobs still running so that they are released. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const settled = this.settled();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceMs)));
    if ((await Promise.race([settled, graceOver])) === 'grace') {
      for (const r of this.running.values()) r.controller.abort(new Released());
    }
    clearTimeout(timer);
  }

  private emit(event: WorkerEvent): void {
    this.options.onEvent?.(event);
  }

  private settled(): Promise<void[]> {
    return Promise.all([...this.running.values()].map((r) => r.promise));
  }

  private nap(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** Claim jobs while a slot is free and the queue has any; whether one was claimed. */
  private async fillSlots(): Promise<boolean> {
    let claimed = false;
    while (!this.stopping && this.running.size < this.concurrency) {
      let job: Job | undefined;
      try {
        job = await this.claim();
      } catch (error) {
        this.emit({ type: 'error', error });
        await this.nap(this.pollMs * 5);
        continue;
      }
      if (!job) break;
      claimed = true;
      this.launch(job);
    }
    return claimed;
  }

  /** Bury the jobs whose leases lapsed too often, then claim the next due job, if any. */
  private async claim(): Promise<Job | undefined> {
    for (const dead of await buryLostJobs(this.db.pool)) {
      this.emit({ type: 'failed', job: dead, error: new Error(dead.error ?? 'lease expired'), state: 'dead' });
      await this.buildDeferredIndex(dead);
    }
    return claimJob(this.db.pool, this.id, this.leaseMs);
  }

  private launch(job: Job): void {
    const controller = new AbortController();
    const promise = this.run(job, controller)
      .then(() => this.buildDeferredIndex(job))
      .catch((error: unknown) => this.emit({ type: 'error', error }))
      .finally(() => {
        this.running.delete(job.id);
        this.wake?.();
      });
    this.running.set(job.id, { controller, promise });
  }

  /** Run one job to its end in the queue: done, failed, released or lost. */
  private async run(job: Job, controller: AbortController): Promise<void> {
    this.emit({ type: 'start', job });
    const progress: JobProgress = { pages: 0, chunks: 0, tokens: 0 };
    const stopRenewing = this.keepLease(job, controller, progress);
    try {
      const result = await this.ingestJob(job, controller.signal, progress);
      // A crawl that was aborted ends early without an error: it must not count as done.
      if (controller.signal.aborted) throw controller.signal.reason;
      await stopRenewing();
      if (await completeJob(this.db.pool, job.id, this.id, progress)) {
        this.summary.done++;
        this.emit({ type: 'done', job, summary: result, progress });
      } else {
        this.summary.lost++;
        this.emit({ type: 'lost', job, reason: 'the job was cancelled or taken over before it finished' });
      }
    } catch (err) {
      await stopRenewing();
      await this.settleFailure(job, err, controller.signal.aborted ? controller.signal.reason : err, progress);
    }
  }

  /**
   * Renew the job's lease every third of `leaseMs` until the returned function is called (it
   * waits for a renewal in flight); a lease found lost aborts `controller` with `Lost`.
   */
  private keepLease(job: Job, controller: AbortController, progress: JobProgress): () => Promise<void> {
    let renewing = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewLease(this.db.pool, job.id, this.id, this.leaseMs, progress).then(
        (ok) => {
          if (!ok && !controller.signal.aborted) controller.abort(new Lost());
        },
        // A failed renewal (server restart, network) is tried again next time; if the lease
        // really lapses, the next renewal says so.
        () => undefined,
      );
    }, Math.max(1, Math.floor(this.leaseMs / 3)));
    return async () => {
      clearInterval(timer);
      await renewing;
    };
  }

  /** The job's ingest, with its embedding model and settings; its progress kept in `progress`. */
  private async ingestJob(job: Job, signal: AbortSignal, progress: JobProgress): Promise<IngestSummary> {
    const { db } = this;
    const embedding = await (this.options.embeddingFor ? this.options.embeddingFor(job) : defaultEmbeddingFor(db, job, this.options.connection));
    const settings = toIngestOptions(job.options);
    if (job.options.deferIndex) {
      await dropCollectionIndex(db.pool, await ensureCollection(db.pool, job.collection, embedding, settings.index ? { index: settings.index } : {}));
    }
    return ingest({
      db,
      source: job.source,
      collection: job.collection,
      embedding,
      ...settings,
      // A bulk load's index is built once, when its last job ends (buildDeferredIndex).
      ...(job.options.deferIndex ? { indexMinChunks: Infinity } : {}),
      // A page job fetches its one page: no sitemap to read (a sitemap job already listed it).
      crawl: { ...settings.crawl, ...(job.kind === 'page' ? { maxPages: 1, sitemaps: false } : {}) },
      signal,
      onProgress: (p) => {
        progress.pages = p.documents;
        progress.chunks = p.chunks;
        progress.tokens = p.tokens;
      },
    });
  }

  /** A job that threw: released (`reason` is `Released`), lost (`Lost`), or failed with `err`. */
  private async settleFailure(job: Job, err: unknown, reason: unknown, progress: JobProgress): Promise<void> {
    if (reason instanceof Released) {
      if (await releaseJob(this.db.pool, job.id, this.id, progress)) this.summary.released++;
      this.emit({ type: 'released', job, progress });
    } else if (reason instanceof Lost) {
      this.summary.lost++;
      this.emit({ type: 'lost', job, reason: reason.message });
    } else {
      const { retryDelayMs, maxRetryDelayMs } = this.options;
      const state = await failJob(this.db.pool, job.id, this.id, errorText(err), {
        permanent: isPermanentError(err),
        ...(retryDelayMs !== undefined ? { retryDelayMs } : {}),
        ...(maxRetryDelayMs !== undefined ? { maxRetryDelayMs } : {}),
        progress,
      });
      this.summary.failed++;
      this.emit({ type: 'failed', job, error: err, state });
    }
  }

  /** After a deferred-index job ends for good, the last one of its collection builds the index. */
  private async buildDeferredIndex(job: Job): Promise<void> {
    const { pool } = this.db;
    if (!job.options.deferIndex || (await hasPendingJobsFor(pool, job.collection))) return;
    const collection = await getCollection(pool, job.collection);
    if (!collection) return;
    const started = performance.now();
    if (await buildCollectionIndex(pool, collection)) this.emit({ type: 'index', collection: job.collection, ms: Math.round(performance.now() - started) });
  }
}
