/**
 * Batch ingestion in a page: queue sources as durable jobs, then work the queue until it is idle.
 * With DATABASE_URL (a Postgres server) run more `ragline worker` processes, on any machine, to
 * share the load; on the embedded store the queue works within this process.
 *
 *   node dist/pipelines/batch-ingest.js <source>... [--collection name]
 */
import { pathToFileURL } from 'node:url';
import { countJobs, openDatabase, queueIngest, runWorker, type Database, type Job, type JobState, type WorkerSummary } from '../src/index.js';

/** Options of {@link batchIngestPipeline}. */
export interface BatchIngestPipelineOptions {
  db: Database;
  /** Start URLs, sitemaps, files, folders, or files listing URLs one a line. */
  sources: readonly string[];
  /** @default 'default' */
  collection?: string;
  /** Jobs this process works at once. @default 2 */
  concurrency?: number;
  /** Allow loopback and private addresses. @default false */
  allowPrivateNetwork?: boolean;
}

/** Queue the sources (a sitemap gives one job per page), work them all, count the outcome. */
export async function batchIngestPipeline(options: BatchIngestPipelineOptions): Promise<{ jobs: Job[]; worker: WorkerSummary; states: Record<JobState, number> }> {
  const { db, sources, collection = 'default' } = options;
  const allow = options.allowPrivateNetwork === true;
  const jobs = await queueIngest({ db, sources, collection, ingest: { allowPrivateNetwork: allow } });
  const worker = await runWorker({ db, concurrency: options.concurrency ?? 2, exitWhenIdle: true });
  return { jobs, worker, states: await countJobs(db.pool) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--collection');
  const collection = at >= 0 ? args.splice(at, 2)[1] : undefined;
  const db = await openDatabase();
  try {
    const { jobs, states } = await batchIngestPipeline({ db, sources: args, ...(collection ? { collection } : {}) });
    console.log(`${jobs.length} jobs: ${Object.entries(states).map(([s, n]) => `${n} ${s}`).join(', ')}`);
    // A job that failed for good (dead) or waits for a retry is work not done: never exit 0 on it.
    if (states.dead + states.failed + states.queued > 0) process.exitCode = 1;
  } finally {
    await db.close();
  }
}
