import { Command } from 'commander';
import { defaultEmbeddingFor, startWorker, type Worker, type WorkerEvent } from '../jobs/worker.js';
import { JOB_DEFAULTS, WORKER_DEFAULTS } from '../options/defaults.js';
import { parseInteger, status, useDatabase } from './context.js';
import { formatInt } from './format.js';
import { openAIConnection, type CliIo } from './io.js';

interface WorkerFlags {
  concurrency: number;
  exitWhenIdle?: boolean;
  leaseSeconds: number;
  pollMs: number;
  retryDelaySeconds: number;
  graceSeconds: number;
  json?: boolean;
}

function describeEvent(e: WorkerEvent): string | undefined {
  switch (e.type) {
    case 'start':
      return `job ${e.job.id} started (attempt ${e.job.attempts} of ${e.job.maxAttempts}): ${e.job.source} -> ${e.job.collection}`;
    case 'done':
      return `job ${e.job.id} done: ${formatInt(e.summary.documents)} pages (${e.summary.new} new, ${e.summary.changed} changed, ${e.summary.unchanged} unchanged), ${formatInt(e.summary.chunks)} chunks written`;
    case 'failed':
      return `job ${e.job.id} ${e.state === 'dead' ? 'is dead' : e.state === 'failed' ? 'failed, will be retried' : 'failed'}: ${e.error instanceof Error ? e.error.message : String(e.error)}`;
    case 'released':
      return `job ${e.job.id} released to the queue (${formatInt(e.progress.pages)} pages stored so far are kept)`;
    case 'lost':
      return `job ${e.job.id} stopped: ${e.reason}`;
    case 'error':
      return `cannot read the queue (${e.error instanceof Error ? e.error.message : String(e.error)}); trying again`;
    case 'index':
      return `HNSW index of "${e.collection}" built after its bulk load in ${(e.ms / 1000).toFixed(1)} s`;
    case 'idle':
      return undefined;
  }
}

/**
 * Stop `worker` on SIGTERM/SIGINT (the bin) or `io.signal`: the first lets running jobs finish
 * within the grace time, a second releases them at once. Returns the detach function.
 */
function stopOnSignals(io: CliIo, worker: Worker, graceSeconds: number): () => void {
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals === 1) status(io, `Stopping: no new jobs; running jobs get ${graceSeconds} s to finish, then go back to the queue (signal again to release them now)...`);
    void worker.stop({ graceMs: signals === 1 ? graceSeconds * 1000 : 0 });
  };
  if (io.signal?.aborted) onSignal();
  io.signal?.addEventListener('abort', onSignal, { once: true });
  if (io.handleSignals) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return () => {
    io.signal?.removeEventListener('abort', onSignal);
    if (io.handleSignals) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  };
}

export function workerCommand(io: CliIo): Command {
  return new Command('worker')
    .description('run queued ingestion jobs (`ragline jobs add`); start several, on several machines, against one Postgres server')
    .option('--concurrency <n>', 'jobs run at once by this worker', parseInteger('concurrency'), WORKER_DEFAULTS.concurrency)
    .option('--exit-when-idle', 'exit once no job is queued, waiting for a retry or running (batch runs)')
    .option('--lease-seconds <n>', "a dead worker's job is picked up again this long after its last lease renewal", parseInteger('leaseSeconds'), WORKER_DEFAULTS.leaseMs / 1000)
    .option('--retry-delay-seconds <n>', 'backoff after a failed attempt, doubled at each further attempt', parseInteger('retryDelaySeconds', 0), JOB_DEFAULTS.retryDelayMs / 1000)
    .option('--poll-ms <n>', 'how often an idle worker looks for jobs', parseInteger('pollMs'), WORKER_DEFAULTS.pollMs)
    .option('--grace-seconds <n>', 'on SIGTERM/SIGINT, time given to running jobs to finish before they are released to the queue', parseInteger('graceSeconds', 0), WORKER_DEFAULTS.graceMs / 1000)
    .option('--json', 'print one JSON line per job event on stdout')
    .addHelpText(
      'after',
      '\nOn the embedded database (no DATABASE_URL) one process holds the data folder, so a single worker runs there.\nSIGTERM or Ctrl-C: stop taking jobs, let running ones finish within --grace-seconds, then release them; a second signal releases at once.\n\nExamples:\n  ragline worker --concurrency 4\n  ragline worker --exit-when-idle',
    )
    .action(async (flags: WorkerFlags) => {
      await useDatabase(io, async (db) => {
        const connection = openAIConnection(io);
        const worker = startWorker({
          db,
          concurrency: flags.concurrency,
          leaseMs: flags.leaseSeconds * 1000,
          pollMs: flags.pollMs,
          retryDelayMs: flags.retryDelaySeconds * 1000,
          exitWhenIdle: flags.exitWhenIdle === true,
          connection,
          embeddingFor: (job) => defaultEmbeddingFor(db, job, connection, io.env),
          onEvent: (e) => {
            if (flags.json && e.type !== 'idle') {
              const { type, ...rest } = e as WorkerEvent & { job?: { id: number; state: string } };
              io.stdout.write(`${JSON.stringify({ type, jobId: rest.job?.id, ...('state' in rest ? { state: rest.state } : {}), ...('error' in rest ? { error: String((rest.error as Error)?.message ?? rest.error) } : {}) })}\n`);
            }
            const line = describeEvent(e);
            if (line) status(io, line);
          },
        });
        status(io, `Worker ${worker.id} on ${db.description}, ${flags.concurrency} job${flags.concurrency === 1 ? '' : 's'} at a time${flags.exitWhenIdle ? ', until the queue is idle' : ''}.`);
        const detach = stopOnSignals(io, worker, flags.graceSeconds);
        try {
          const s = await worker.finished;
          status(io, `Worker ${s.workerId} stopped: ${s.done} done, ${s.failed} failed attempts, ${s.released} released, ${s.lost} lost.`);
        } finally {
          detach();
        }
      });
    });
}
