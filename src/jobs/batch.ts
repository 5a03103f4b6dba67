/**
 * Batch ingestion: queue sources as durable jobs in Postgres, and run workers — in this process or
 * on as many machines as you like — that ingest them with the website Q&A pipeline.
 *
 *   sources ─▶ expandSources (sites, sitemaps, files, lists of URLs) ─▶ enqueueJobs ─▶ jobs table
 *   jobs table ─▶ claimJob (FOR UPDATE SKIP LOCKED, leased) ─▶ ingest ─▶ completeJob | failJob
 *
 * With a Postgres server (DATABASE_URL) any number of workers share the queue. The embedded
 * database is held by one process at a time, so there the queue works within that process only.
 *
 * It is also the reference for the jobs API: every step below is a public export of `ragline`.
 */
import type { Database } from '../store/database.js';
import { DEFAULT_COLLECTION } from '../options/defaults.js';
import { expandSources, type ExpandOptions } from './sources.js';
import { enqueueJobs, countJobs, type Job, type JobIngestOptions, type JobState } from './queue.js';
import { runWorker, type WorkerOptions, type WorkerSummary } from './worker.js';

/** Options of {@link queueIngest}. */
export interface QueueIngestOptions {
  db: Database;
  /** Start URLs, sitemaps, files, folders, or files listing such sources one a line. */
  sources: readonly string[];
  /** @default 'default' */
  collection?: string;
  /**
   * Files listing page URLs one a line: each URL becomes a `page` job that fetches that one page
   * (no site crawl, no sitemap), after the jobs of `sources`.
   */
  pageLists?: readonly string[];
  /** Crawl, chunk and model settings carried by each job. */
  ingest?: JobIngestOptions;
  /** @default 3 */
  maxAttempts?: number;
  /** How sitemaps are fetched while expanding. */
  expand?: ExpandOptions;
}

/** Queue one job per source (a sitemap gives one per page it lists). */
export async function queueIngest(options: QueueIngestOptions): Promise<Job[]> {
  const sources = await expandSources(options.sources, {
    ...(options.ingest?.allowPrivateNetwork ? { allowPrivateNetwork: true } : {}),
    ...options.expand,
  }, options.pageLists);
  return enqueueJobs(
    options.db.pool,
    sources.map((s) => ({
      collection: options.collection ?? DEFAULT_COLLECTION,
      source: s.source,
      kind: s.kind,
      ...(options.ingest ? { options: options.ingest } : {}),
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    })),
  );
}

/** What a batch run did. */
export interface BatchIngestResult {
  jobs: Job[];
  worker: WorkerSummary;
  /** Jobs by state once the queue was idle. */
  states: Record<JobState, number>;
}

/**
 * Queue the sources and work the queue until it is idle, in this process: the whole batch in one
 * call. Start more workers elsewhere (`ragline worker`) to share the load.
 */
export async function batchIngest(options: QueueIngestOptions & { worker?: Omit<WorkerOptions, 'db'> & { signal?: AbortSignal } }): Promise<BatchIngestResult> {
  const jobs = await queueIngest(options);
  const worker = await runWorker({ ...options.worker, db: options.db, exitWhenIdle: true });
  return { jobs, worker, states: await countJobs(options.db.pool) };
}
