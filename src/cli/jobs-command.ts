import { Command, Option } from 'commander';
import { ConfigError, describeValue } from '../errors.js';
import { cancelJob, listJobs, requireJob, retryJob, JOB_STATES, type Job, type JobIngestOptions, type JobState } from '../jobs/queue.js';
import { queueIngest } from '../jobs/batch.js';
import { JOB_DEFAULTS } from '../options/defaults.js';
import { parseInteger, status, withDatabase } from './context.js';
import { addIngestFlags, ingestSettings, type IngestFlags } from './ingest-flags.js';
import { formatInt, snippet } from './format.js';
import { resolvePath, type CliIo } from './io.js';

interface AddFlags extends IngestFlags {
  urls?: string[];
  deferIndex?: boolean;
  maxAttempts: number;
  json?: boolean;
}

function parseId(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError('id', value, `Expected a job id (an integer from 1 and up), got ${describeValue(value)}.`);
  return n;
}

/** A job as `--json` prints it: the stored job with `error` and ISO dates. */
function jobJson(j: Job): Record<string, unknown> {
  return { ...j };
}

function printJobs(io: CliIo, jobs: readonly Job[]): void {
  const table = [
    ['ID', 'STATE', 'TRIES', 'COLLECTION', 'KIND', 'PAGES', 'CHUNKS', 'SOURCE', 'ERROR'],
    ...jobs.map((j) => [String(j.id), j.state, `${j.attempts}/${j.maxAttempts}`, j.collection, j.kind, formatInt(j.pages), formatInt(j.chunks), j.source, j.error ? snippet(j.error, 60) : '']),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const right = new Set([0, 2, 5, 6]);
  for (const row of table) {
    io.stdout.write(`${row.map((cell, i) => (i === row.length - 1 ? cell : right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()}\n`);
  }
}

function describeJob(j: Job): string {
  const when = (d: Date | null) => (d ? d.toISOString() : '-');
  return [
    `Job ${j.id}: ${j.state} (attempt ${j.attempts} of ${j.maxAttempts})`,
    `  source      ${j.source} (${j.kind})`,
    `  collection  ${j.collection}`,
    `  progress    ${formatInt(j.pages)} pages, ${formatInt(j.chunks)} chunks, ${formatInt(j.tokens)} tokens`,
    j.leaseOwner ? `  lease       ${j.leaseOwner} until ${when(j.leaseExpiresAt)}` : '',
    j.state === 'failed' ? `  next try    ${when(j.runAfter)}` : '',
    j.error ? `  error       ${j.error}` : '',
    `  created     ${when(j.createdAt)}   started ${when(j.startedAt)}   finished ${when(j.finishedAt)}`,
    Object.keys(j.options).length ? `  options     ${JSON.stringify(j.options)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function addCommand(io: CliIo): Command {
  const cmd = addIngestFlags(
    new Command('add')
      .description('queue ingestion jobs: one per start URL, folder or file; one per page of a sitemap; a file of URLs (one a line) adds each')
      .argument('[sources...]', 'start URLs, sitemap URLs (.xml), files, folders, or files listing such sources'),
  )
    .option('--urls <file>', 'a file of page URLs, one a line: one job per URL fetching that page only (no site crawl); repeatable', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--defer-index', "bulk load: drop the collection's HNSW index while these jobs run, build it once when the last ends")
    .option('--max-attempts <n>', 'attempts before a job is dead', parseInteger('maxAttempts'), JOB_DEFAULTS.maxAttempts)
    .option('--json', 'print the queued jobs as JSON')
    .addHelpText(
      'after',
      '\nPaths must be readable by the workers (same machine or shared disk). Run `ragline worker` to process the queue.\n\nExamples:\n  ragline jobs add https://docs.example.com --collection docs\n  ragline jobs add https://example.com/sitemap.xml ./handbook --collection docs\n  ragline jobs add --urls changed-pages.txt --collection docs\n  ragline jobs add ./handbook --collection docs --metadata team=hr',
    );
  return cmd.action(async (sources: string[], flags: AddFlags) => {
    if (sources.length === 0 && !flags.urls?.length) cmd.error('error: give a source to queue (a URL, sitemap, file or folder), or --urls <file>', { exitCode: 2 });
    await withDatabase(io, async (db, signal) => {
      const model = {
        ...(flags.provider ? { provider: flags.provider } : {}),
        ...(flags.embeddingModel ? { embeddingModel: flags.embeddingModel } : {}),
        ...(flags.dimensions ? { dimensions: flags.dimensions } : {}),
      };
      const ingest: JobIngestOptions = {
        ...ingestSettings(flags),
        ...(flags.deferIndex ? { deferIndex: true } : {}),
        ...(Object.keys(model).length ? { model } : {}),
      };
      const jobs = await queueIngest({
        db,
        sources: sources.map((s) => resolvePath(io, s)),
        ...(flags.urls ? { pageLists: flags.urls.map((f) => resolvePath(io, f)) } : {}),
        collection: flags.collection,
        ingest,
        maxAttempts: flags.maxAttempts,
        expand: { signal },
      });
      if (flags.json) {
        io.stdout.write(`${JSON.stringify(jobs.map(jobJson), null, 2)}\n`);
        return;
      }
      status(io, `Store: ${db.description}`);
      const ids = jobs.map((j) => j.id);
      status(
        io,
        `Queued ${jobs.length} job${jobs.length === 1 ? '' : 's'} for "${flags.collection}"${ids.length ? ` (ids ${ids[0]}${ids.length > 1 ? `-${ids[ids.length - 1]}` : ''})` : ''}: run \`ragline worker\` to process them.${db.kind === 'pglite' ? ' The embedded database is used by one process at a time: set DATABASE_URL to run several workers.' : ''}`,
      );
    });
  });
}

function listCommand(io: CliIo): Command {
  return new Command('list')
    .description('list jobs, newest first')
    .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
    .option('-c, --collection <name>', 'only jobs of this collection')
    .option('--limit <n>', 'at most this many jobs', parseInteger('limit'), JOB_DEFAULTS.listLimit)
    .option('--json', 'print a JSON array of jobs (id, state, attempts, error, source, collection, progress, timestamps)')
    .action(async (flags: { state?: JobState; collection?: string; limit: number; json?: boolean }) => {
      await withDatabase(io, async (db) => {
        const jobs = await listJobs(db.pool, { ...(flags.state ? { state: flags.state } : {}), ...(flags.collection ? { collection: flags.collection } : {}), limit: flags.limit });
        if (flags.json) {
          io.stdout.write(`${JSON.stringify(jobs.map(jobJson), null, 2)}\n`);
          return;
        }
        if (jobs.length === 0) {
          io.stdout.write('No jobs: add some with `ragline jobs add <url|folder|sitemap|file-of-urls>... --collection <name>`.\n');
          return;
        }
        printJobs(io, jobs);
      });
    });
}

function showCommand(io: CliIo): Command {
  return new Command('show')
    .description('show one job: state, attempts, lease, progress and last error')
    .argument('<id>', 'job id', parseId)
    .option('--json', 'print the job as JSON')
    .action(async (id: number, flags: { json?: boolean }) => {
      await withDatabase(io, async (db) => {
        const job = await requireJob(db.pool, id);
        io.stdout.write(flags.json ? `${JSON.stringify(jobJson(job), null, 2)}\n` : `${describeJob(job)}\n`);
      });
    });
}

function changeCommand(io: CliIo, name: 'cancel' | 'retry'): Command {
  const description =
    name === 'cancel'
      ? 'cancel queued, failed or running jobs (a running job stops at its next lease renewal; what it stored stays)'
      : 'queue failed, dead or cancelled jobs again, now, with their attempts reset';
  return new Command(name)
    .description(description)
    .argument('<ids...>', 'job ids')
    .action(async (ids: string[]) => {
      await withDatabase(io, async (db) => {
        for (const id of ids.map(parseId)) {
          const job = name === 'cancel' ? await cancelJob(db.pool, id) : await retryJob(db.pool, id);
          status(io, `Job ${job.id} is ${job.state}.`);
        }
      });
    });
}

export function jobsCommand(io: CliIo): Command {
  return new Command('jobs')
    .description('durable ingestion jobs in the database: add, list, show, cancel, retry (`ragline worker` runs them)')
    .addCommand(addCommand(io))
    .addCommand(listCommand(io))
    .addCommand(showCommand(io))
    .addCommand(changeCommand(io, 'cancel'))
    .addCommand(changeCommand(io, 'retry'));
}
