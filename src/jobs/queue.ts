/**
 * The durable job queue: one `jobs` table, and the few statements that move a job through its
 * states. Postgres does the coordination — workers claim with `FOR UPDATE SKIP LOCKED`, so any
 * number of them on any number of machines take distinct jobs without waiting on each other, and a
 * lease (owner + expiry, renewed while working) tells a live worker's job from a dead one's.
 *
 *   queued ──claim──▶ running ──▶ done
 *                        │  └──fail──▶ failed ──(after run_after)──claim──▶ running ...
 *                        │              └── (max attempts, or an error that cannot pass) ──▶ dead
 *                        └──lease expires (worker died)──claim──▶ running (next attempt)
 *   queued | failed | running ──cancel──▶ cancelled;   failed | dead | cancelled ──retry──▶ queued
 */
import type pg from 'pg';
import { ConfigError, describeValue } from '../errors.js';
import { checkCollectionName } from '../store/collections.js';
import { checkMetadata } from '../stages/metadata.js';
import { checkInteger } from '../options/check.js';
import { JOB_DEFAULTS } from '../options/defaults.js';
import type { IngestSettings } from '../core/ingest-settings.js';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'dead' | 'cancelled';
/** `site`: crawl from a start URL; `page`: that one URL; `path`: a file or folder on the worker's machine. */
export type JobKind = 'site' | 'page' | 'path';

export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'done', 'failed', 'dead', 'cancelled'];

/**
 * Ingest settings a job carries to whichever worker runs it: the settings `ragline ingest` takes
 * (`page` jobs always fetch their one page), plus the job's own.
 */
export interface JobIngestOptions extends IngestSettings {
  /**
   * Drop the collection's HNSW index while its jobs run and build it once when the last of them
   * ends — several times faster than keeping the graph up to date row by row for a bulk load.
   * Searches stay correct meanwhile (exact scans, slower).
   */
  deferIndex?: boolean;
  /** The embedding model, for a collection that does not exist yet (else the collection's own is used). */
  model?: { provider?: string; embeddingModel?: string; dimensions?: number };
}

/** A job as stored. */
export interface Job {
  id: number;
  collection: string;
  source: string;
  kind: JobKind;
  options: JobIngestOptions;
  state: JobState;
  /** Attempts started so far (a claim starts one). */
  attempts: number;
  maxAttempts: number;
  leaseOwner: string | null;
  leaseExpiresAt: Date | null;
  /** The last attempt's error; kept when the job is dead. */
  error: string | null;
  /** Progress of the current (or last) attempt. */
  pages: number;
  chunks: number;
  tokens: number;
  /** Not claimed before this time (backoff after a failure). */
  runAfter: Date;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A job to add. */
export interface NewJob {
  collection: string;
  source: string;
  kind: JobKind;
  /** @default {} */
  options?: JobIngestOptions;
  /**
   * Attempts before the job is dead.
   * @default 3
   */
  maxAttempts?: number;
}

/** Progress of an attempt, saved with each lease renewal and at the end. */
export interface JobProgress {
  pages: number;
  chunks: number;
  tokens: number;
}

interface Row {
  id: string;
  collection: string;
  source: string;
  kind: JobKind;
  options: JobIngestOptions;
  state: JobState;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  last_error: string | null;
  pages: number;
  chunks: number;
  tokens: string;
  run_after: Date;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const toJob = (r: Row): Job => ({
  id: Number(r.id),
  collection: r.collection,
  source: r.source,
  kind: r.kind,
  options: r.options,
  state: r.state,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
  error: r.last_error,
  pages: r.pages,
  chunks: r.chunks,
  tokens: Number(r.tokens),
  runAfter: r.run_after,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

/** Add jobs, in order, in one statement. */
export async function enqueueJobs(pool: pg.Pool, jobs: readonly NewJob[]): Promise<Job[]> {
  if (jobs.length === 0) return [];
  for (const j of jobs) {
    checkCollectionName(j.collection);
    if (!['site', 'page', 'path'].includes(j.kind)) throw new ConfigError('kind', j.kind, `Unknown job kind ${describeValue(j.kind)}: use "site", "page" or "path".`);
    if (!j.source) throw new ConfigError('source', j.source, 'A job needs a source: a URL, a file or a folder.');
    checkInteger('maxAttempts', j.maxAttempts ?? JOB_DEFAULTS.maxAttempts, { min: 1 });
    if (j.options?.metadata !== undefined) checkMetadata(j.options.metadata);
  }
  const { rows } = await pool.query<Row>(
    `INSERT INTO jobs (collection, source, kind, options, max_attempts)
     SELECT j.collection, j.source, j.kind, j.options, j.max_attempts
       FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::int[]) WITH ORDINALITY AS j(collection, source, kind, options, max_attempts, n)
      ORDER BY j.n
     RETURNING *`,
    [
      jobs.map((j) => j.collection),
      jobs.map((j) => j.source),
      jobs.map((j) => j.kind),
      jobs.map((j) => JSON.stringify(j.options ?? {})),
      jobs.map((j) => j.maxAttempts ?? JOB_DEFAULTS.maxAttempts),
    ],
  );
  return rows.map(toJob).sort((a, b) => a.id - b.id);
}

/** One job, if it exists. */
export async function getJob(pool: pg.Pool, id: number): Promise<Job | undefined> {
  const { rows } = await pool.query<Row>('SELECT * FROM jobs WHERE id = $1', [id]);
  return rows[0] ? toJob(rows[0]) : undefined;
}

/** One job, or an error saying it does not exist. */
export async function requireJob(pool: pg.Pool, id: number): Promise<Job> {
  const job = await getJob(pool, id);
  if (!job) throw new ConfigError('id', id, `No job ${id}: \`ragline jobs list\` shows the jobs there are.`);
  return job;
}

/** Filters of {@link listJobs}. */
export interface ListJobsOptions {
  state?: JobState;
  collection?: string;
  /**
   * Newest jobs first, at most this many.
   * @default 100
   */
  limit?: number;
}

/** Jobs, newest first. */
export async function listJobs(pool: pg.Pool, options: ListJobsOptions = {}): Promise<Job[]> {
  if (options.state && !JOB_STATES.includes(options.state)) {
    throw new ConfigError('state', options.state, `Unknown job state ${describeValue(options.state)}: use one of ${JOB_STATES.join(', ')}.`);
  }
  const { rows } = await pool.query<Row>(
    `SELECT * FROM jobs WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR collection = $2) ORDER BY id DESC LIMIT $3`,
    [options.state ?? null, options.collection ?? null, checkInteger('limit', options.limit ?? JOB_DEFAULTS.listLimit, { min: 1 })],
  );
  return rows.map(toJob);
}

/** How many jobs are in each state. */
export async function countJobs(pool: pg.Pool): Promise<Record<JobState, number>> {
  const { rows } = await pool.query<{ state: JobState; n: number }>('SELECT state, count(*)::int AS n FROM jobs GROUP BY state');
  const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const r of rows) out[r.state] = r.n;
  return out;
}

/** Whether a collection has jobs that can still run. */
export async function hasPendingJobsFor(pool: pg.Pool, collection: string): Promise<boolean> {
  const { rows } = await pool.query<{ pending: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM jobs WHERE collection = $1 AND state IN ('queued', 'failed', 'running')) AS pending`,
    [collection],
  );
  return rows[0]!.pending;
}

/** Whether any job can still run: queued, waiting for a retry, or running (perhaps on a dead worker). */
export async function hasPendingJobs(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ pending: boolean }>(`SELECT EXISTS (SELECT 1 FROM jobs WHERE state IN ('queued', 'failed', 'running')) AS pending`);
  return rows[0]!.pending;
}

/**
 * Make dead the running jobs whose lease expired on their last attempt (their worker died), with
 * the reason kept. {@link claimJob} does the same; a worker calls this first to learn which jobs
 * ended so (a deferred index may be due).
 */
export async function buryLostJobs(pool: pg.Pool): Promise<Job[]> {
  const { rows } = await pool.query<Row>(
    `UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now(),
            last_error = 'attempt ' || attempts || ' of ' || max_attempts || ': worker ' || lease_owner || ' stopped renewing its lease (killed or lost its connection)'
      WHERE state = 'running' AND lease_expires_at < now() AND attempts >= max_attempts
     RETURNING *`,
  );
  return rows.map(toJob);
}

/**
 * Claim the oldest job that is due — queued, failed and past its backoff, or running under a lease
 * that expired (its worker died) — for `owner`, with a lease of `leaseMs`. Starts an attempt.
 * Jobs whose lease expired on their last attempt become dead first, with the reason kept.
 */
export async function claimJob(pool: pg.Pool, owner: string, leaseMs: number): Promise<Job | undefined> {
  const { rows } = await pool.query<Row>(
    `WITH lost AS (
       UPDATE jobs SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now(),
              last_error = 'attempt ' || attempts || ' of ' || max_attempts || ': worker ' || lease_owner || ' stopped renewing its lease (killed or lost its connection)'
        WHERE state = 'running' AND lease_expires_at < now() AND attempts >= max_attempts
     ), next AS (
       SELECT id FROM jobs
        WHERE (state IN ('queued', 'failed') AND run_after <= now())
           OR (state = 'running' AND lease_expires_at < now() AND attempts < max_attempts)
        ORDER BY run_after, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
     )
     UPDATE jobs j SET
       last_error = CASE WHEN j.state = 'running'
                         THEN 'attempt ' || j.attempts || ': worker ' || j.lease_owner || ' stopped renewing its lease (killed or lost its connection)'
                         ELSE j.last_error END,
       state = 'running', attempts = j.attempts + 1, lease_owner = $1,
       lease_expires_at = now() + $2 * interval '1 millisecond',
       pages = 0, chunks = 0, tokens = 0,
       started_at = coalesce(j.started_at, now()), updated_at = now()
       FROM next WHERE j.id = next.id
     RETURNING j.*`,
    [owner, leaseMs],
  );
  return rows[0] ? toJob(rows[0]) : undefined;
}

/**
 * Extend `owner`'s lease on a running job and save its progress.
 * @returns false when the lease is no longer `owner`'s — the job was cancelled, or its lease
 *   expired and another worker took it — so the work must stop
 */
export async function renewLease(pool: pg.Pool, id: number, owner: string, leaseMs: number, progress: JobProgress): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE jobs SET lease_expires_at = now() + $3 * interval '1 millisecond', pages = $4, chunks = $5, tokens = $6, updated_at = now()
      WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
    [id, owner, leaseMs, progress.pages, progress.chunks, progress.tokens],
  );
  return rowCount === 1;
}

/** Mark `owner`'s running job done. @returns false when the lease was no longer `owner`'s. */
export async function completeJob(pool: pg.Pool, id: number, owner: string, progress: JobProgress): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, pages = $3, chunks = $4, tokens = $5, finished_at = now(), updated_at = now()
      WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
    [id, owner, progress.pages, progress.chunks, progress.tokens],
  );
  return rowCount === 1;
}

/** How a failed attempt is retried. */
export interface FailOptions {
  /** The error cannot pass by retrying (bad source, refused API key): dead at once. */
  permanent?: boolean;
  /**
   * Backoff before the next attempt: `retryDelayMs × 2^(attempts − 1)`, at most `maxRetryDelayMs`.
   * @default 10000
   */
  retryDelayMs?: number;
  /** @default 600000 */
  maxRetryDelayMs?: number;
  progress?: JobProgress;
}

/**
 * Record a failed attempt of `owner`'s job: `failed` with a backoff, or `dead` after its last
 * attempt (or at once for a permanent error) — the error is kept either way.
 * @returns the new state, or undefined when the lease was no longer `owner`'s
 */
export async function failJob(pool: pg.Pool, id: number, owner: string, error: string, options: FailOptions = {}): Promise<JobState | undefined> {
  const base = options.retryDelayMs ?? JOB_DEFAULTS.retryDelayMs;
  const max = options.maxRetryDelayMs ?? JOB_DEFAULTS.maxRetryDelayMs;
  const p = options.progress ?? { pages: 0, chunks: 0, tokens: 0 };
  const { rows } = await pool.query<{ state: JobState }>(
    `UPDATE jobs SET
       state = CASE WHEN $4 OR attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
       last_error = $3, lease_owner = NULL, lease_expires_at = NULL,
       run_after = now() + least($6::float8, $5::float8 * power(2, greatest(attempts - 1, 0))) * interval '1 millisecond',
       finished_at = CASE WHEN $4 OR attempts >= max_attempts THEN now() END,
       pages = $7, chunks = $8, tokens = $9, updated_at = now()
      WHERE id = $1 AND lease_owner = $2 AND state = 'running'
     RETURNING state`,
    [id, owner, error, options.permanent === true, base, max, p.pages, p.chunks, p.tokens],
  );
  return rows[0]?.state;
}

/**
 * Give `owner`'s running job back to the queue without counting the attempt (a worker shutting
 * down). What it stored is kept; the next run skips the pages that are unchanged.
 */
export async function releaseJob(pool: pg.Pool, id: number, owner: string, progress: JobProgress): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE jobs SET state = 'queued', attempts = greatest(attempts - 1, 0), lease_owner = NULL, lease_expires_at = NULL,
            run_after = now(), pages = $3, chunks = $4, tokens = $5, updated_at = now()
      WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
    [id, owner, progress.pages, progress.chunks, progress.tokens],
  );
  return rowCount === 1;
}

/**
 * Cancel a job that has not finished. A running job's worker notices at its next lease renewal
 * and stops; what it stored so far stays.
 */
export async function cancelJob(pool: pg.Pool, id: number): Promise<Job> {
  const { rows } = await pool.query<Row>(
    `UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
      WHERE id = $1 AND state IN ('queued', 'failed', 'running') RETURNING *`,
    [id],
  );
  if (rows[0]) return toJob(rows[0]);
  const job = await requireJob(pool, id);
  throw new ConfigError('id', id, `Job ${id} is ${job.state}: only queued, failed or running jobs can be cancelled.`);
}

/** Queue a failed, dead or cancelled job again, now, with its attempts reset. */
export async function retryJob(pool: pg.Pool, id: number): Promise<Job> {
  const { rows } = await pool.query<Row>(
    `UPDATE jobs SET state = 'queued', attempts = 0, run_after = now(), finished_at = NULL, updated_at = now()
      WHERE id = $1 AND state IN ('failed', 'dead', 'cancelled') RETURNING *`,
    [id],
  );
  if (rows[0]) return toJob(rows[0]);
  const job = await requireJob(pool, id);
  throw new ConfigError('id', id, `Job ${id} is ${job.state}: only failed, dead or cancelled jobs can be retried${job.state === 'done' ? ' (add it again to re-ingest)' : ''}.`);
}
