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
import { ConfigError, ModelError, RaglineError } from '../errors.js';
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

/** Errors that no retry can fix: the job is dead at once. */
export function isPermanentError(err: unknown): boolean {
  if (err instanceof ConfigError) return true;
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
  const concurrency = checkInteger('concurrency', options.concurrency ?? WORKER_DEFAULTS.concurrency, { min: 1 });
  const leaseMs = checkInteger('leaseMs', options.leaseMs ?? WORKER_DEFAULTS.leaseMs, { min: 1 });
  const pollMs = checkInteger('pollMs', options.pollMs ?? WORKER_DEFAULTS.pollMs, { min: 1 });
  const id = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const { db } = options;
  const emit = (e: WorkerEvent) => options.onEvent?.(e);
  const summary: WorkerSummary = { workerId: id, done: 0, failed: 0, released: 0, lost: 0 };
  const running = new Map<number, { controller: AbortController; promise: Promise<void> }>();
  let stopping = false;
  let wake: (() => void) | undefined;
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function run(job: Job, controller: AbortController): Promise<void> {
    emit({ type: 'start', job });
    const progress: JobProgress = { pages: 0, chunks: 0, tokens: 0 };
    let renewing = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewLease(db.pool, job.id, id, leaseMs, progress).then(
        (ok) => {
          if (!ok && !controller.signal.aborted) controller.abort(new Lost());
        },
        // A failed renewal (server restart, network) is tried again next time; if the lease
        // really lapses, the next renewal says so.
        () => undefined,
      );
    }, Math.max(1, Math.floor(leaseMs / 3)));
    try {
      const embedding = await (options.embeddingFor ? options.embeddingFor(job) : defaultEmbeddingFor(db, job, options.connection));
      const settings = toIngestOptions(job.options);
      if (job.options.deferIndex) {
        await dropCollectionIndex(db.pool, await ensureCollection(db.pool, job.collection, embedding, settings.index ? { index: settings.index } : {}));
      }
      const result = await ingest({
        db,
        source: job.source,
        collection: job.collection,
        embedding,
        ...settings,
        // A page job fetches its one page: no sitemap to read (a sitemap job already listed it).
        crawl: { ...settings.crawl, ...(job.kind === 'page' ? { maxPages: 1, sitemaps: false } : {}) },
        signal: controller.signal,
        onProgress: (p) => {
          progress.pages = p.documents;
          progress.chunks = p.chunks;
          progress.tokens = p.tokens;
        },
      });
      // A crawl that was aborted ends early without an error: it must not count as done.
      if (controller.signal.aborted) throw controller.signal.reason;
      clearInterval(timer);
      await renewing;
      if (await completeJob(db.pool, job.id, id, progress)) {
        summary.done++;
        emit({ type: 'done', job, summary: result, progress });
      } else {
        summary.lost++;
        emit({ type: 'lost', job, reason: 'the job was cancelled or taken over before it finished' });
      }
    } catch (err) {
      clearInterval(timer);
      await renewing;
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
      if (reason instanceof Released) {
        if (await releaseJob(db.pool, job.id, id, progress)) summary.released++;
        emit({ type: 'released', job, progress });
      } else if (reason instanceof Lost) {
        summary.lost++;
        emit({ type: 'lost', job, reason: reason.message });
      } else {
        const state = await failJob(db.pool, job.id, id, errorText(err), {
          permanent: isPermanentError(err),
          ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
          ...(options.maxRetryDelayMs !== undefined ? { maxRetryDelayMs: options.maxRetryDelayMs } : {}),
          progress,
        });
        summary.failed++;
        emit({ type: 'failed', job, error: err, state });
      }
    }
  }

  /** After a deferred-index job ends for good, the last one of its collection builds the index. */
  async function buildDeferredIndex(job: Job): Promise<void> {
    if (!job.options.deferIndex || (await hasPendingJobsFor(db.pool, job.collection))) return;
    const collection = await getCollection(db.pool, job.collection);
    if (!collection) return;
    const started = performance.now();
    if (await buildCollectionIndex(db.pool, collection)) emit({ type: 'index', collection: job.collection, ms: Math.round(performance.now() - started) });
  }

  async function loop(): Promise<WorkerSummary> {
    while (!stopping) {
      let claimed = false;
      while (!stopping && running.size < concurrency) {
        let job: Job | undefined;
        try {
          for (const dead of await buryLostJobs(db.pool)) {
            emit({ type: 'failed', job: dead, error: new Error(dead.error ?? 'lease expired'), state: 'dead' });
            await buildDeferredIndex(dead);
          }
          job = await claimJob(db.pool, id, leaseMs);
        } catch (error) {
          emit({ type: 'error', error });
          await nap(pollMs * 5);
          continue;
        }
        if (!job) break;
        claimed = true;
        const controller = new AbortController();
        const promise = run(job, controller)
          .then(() => buildDeferredIndex(job))
          .catch((error: unknown) => emit({ type: 'error', error }))
          .finally(() => {
            running.delete(job.id);
            wake?.();
          });
        running.set(job.id, { controller, promise });
      }
      if (stopping) break;
      if (!claimed && running.size === 0) {
        emit({ type: 'idle' });
        if (options.exitWhenIdle && !(await hasPendingJobs(db.pool))) break;
      }
      // Woken early when a job of ours ends, so a free slot is filled at once.
      await nap(pollMs);
    }
    await Promise.all([...running.values()].map((r) => r.promise));
    return summary;
  }

  const finished = loop();
  // `finished` carries loop errors (the database went away); a caller that never awaits it still
  // gets them through stop().
  finished.catch(() => undefined);

  return {
    id,
    finished,
    async stop({ graceMs = WORKER_DEFAULTS.graceMs } = {}) {
      stopping = true;
      wake?.();
      const settled = Promise.all([...running.values()].map((r) => r.promise));
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceMs)));
      if ((await Promise.race([settled, graceOver])) === 'grace') {
        for (const r of running.values()) r.controller.abort(new Released());
      }
      clearTimeout(timer);
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
