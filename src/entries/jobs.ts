/**
 * `ragline/jobs`: the durable ingestion queue (Postgres rows with leases), expanding inputs into
 * jobs, the worker that runs them, and the batch calls built on both. Only re-exports.
 */
export * from '../jobs/queue.js';
export * from '../jobs/sources.js';
export * from '../jobs/worker.js';
export * from '../jobs/batch.js';
export { toIngestOptions, type IngestSettings } from '../core/ingest-settings.js';
