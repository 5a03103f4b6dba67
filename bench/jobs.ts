/**
 * Durable ingestion job throughput: the same queue of page jobs worked by 1 `ragline worker`
 * process, then by 3, against one Postgres server — jobs/s, chunks/s and the speed-up of scaling
 * out. Each page of the documentation sites present (the demo site always, ../shared/corpora/drf-docs
 * when there) is its own `page` job, so the queue's coordination (claims with `FOR UPDATE SKIP
 * LOCKED`, leases, idle polling) is a real part of the time. The sites are served by `serveStatic`
 * on loopback and the model is the OpenAI stand-in with a fixed latency per request, both in this
 * process; the workers are the built CLI in child processes, as users run them:
 *
 *   node dist/src/cli/main.js worker --concurrency N --exit-when-idle --poll-ms P --json
 *
 * Each run gets a throwaway database of its own on the server (the embedding cache is shared by
 * the collections of a database: a second run in the same database would embed nothing). A run
 * is timed from the spawn of its workers until all of them have exited. It fails (exit code 1)
 * unless every job started once and ended `done` on its first attempt, every job stored its
 * page, and every run stored the same chunks as the first (per source: ordinals, text hashes and
 * vectors).
 *
 *   npm run build && DATABASE_URL=postgres://... node dist/bench/jobs.js
 *
 * Options (environment variables):
 * - `DATABASE_URL`: the Postgres server with pgvector. Required: without it the benchmark prints
 *   one line and exits 0 (the embedded database is held by one process, so workers cannot scale out).
 * - `BENCH_JOBS`: jobs to queue, one page each (default 60; at most the pages present — evenly
 *   sampled across them when there are more).
 * - `BENCH_LATENCY_MS`: the stand-in's latency per request, ms (default 250, about what the OpenAI
 *   embeddings endpoint takes for a page's worth of input; at 50 ms the workers, Postgres and the
 *   stand-in share this machine's 2 cores and the run measures CPU, not the queue).
 * - `BENCH_WORKERS`: worker process counts to run, comma-separated, the first being the baseline
 *   of the speed-up (default `1,3`).
 * - `BENCH_WORKER_CONCURRENCY`: `--concurrency` of each worker, jobs at once (default 1).
 * - `BENCH_POLL_MS`: `--poll-ms` of each worker (default 1000, the CLI's own default).
 * - `BENCH_DEFER_INDEX`: `1` queues the jobs with `deferIndex` (`jobs add --defer-index`): the HNSW
 *   index is built once after the last job instead of row by row (default off).
 * - `BENCH_TIMEOUT_S`: a run whose workers have not all exited after this long is killed and the
 *   benchmark fails (default 300).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { printTable, scratchDatabase } from './common.js';
import { enqueueJobs } from '../src/jobs/queue.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import type { Database } from '../src/store/database.js';
import { startOpenAIStandIn, type OpenAIStandIn } from '../test/stand-in/openai-stand-in.js';
import { corpusPath } from '../test/support/corpora.js';

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer from ${min} and up, got ${JSON.stringify(raw)}.`);
  return n;
}

const JOBS = intEnv('BENCH_JOBS', 60, 1);
const LATENCY_MS = intEnv('BENCH_LATENCY_MS', 250, 0);
const CONCURRENCY = intEnv('BENCH_WORKER_CONCURRENCY', 1, 1);
const POLL_MS = intEnv('BENCH_POLL_MS', 1000, 1);
const TIMEOUT_MS = intEnv('BENCH_TIMEOUT_S', 300, 1) * 1000;
const WORKERS = (process.env.BENCH_WORKERS || '1,3').split(',').map((s) => {
  const n = Number(s.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`BENCH_WORKERS must be a comma-separated list of integers from 1 and up, got ${JSON.stringify(process.env.BENCH_WORKERS)}.`);
  return n;
});
const DEFER_INDEX = process.env.BENCH_DEFER_INDEX === '1';
const COLLECTION = 'bench-jobs';

const root = packageRoot();
const cliBin = path.join(root, 'dist', 'src', 'cli', 'main.js');

/** A site whose HTML pages become jobs. */
interface Site {
  name: string;
  dir: string;
}

/** The URL of every HTML page of a served folder, `dir/index.html` spelled `dir/`; error pages left out. */
async function pageUrls(dir: string, server: StaticServer): Promise<string[]> {
  const files = (await readdir(dir, { recursive: true }))
    .map((f) => f.split(path.sep).join('/'))
    .filter((f) => f.endsWith('.html') && !/(^|\/)404\.html$/.test(f))
    .sort();
  return files.map((f) => new URL(f.replace(/(^|\/)index\.html$/, '$1'), server.url).href);
}

/** `n` items spread evenly over `items` (all of them when there are no more than `n`). */
function sample<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

/** A job event a worker printed (`--json`), with when this process read it. */
interface WorkerEvent {
  type: string;
  jobId?: number;
  state?: string;
  error?: string;
  /** ms since the run's workers were spawned. */
  at: number;
}

interface WorkerExit {
  index: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  events: WorkerEvent[];
  /** ms since spawn. */
  exitedAt: number;
}

/** Start one worker process; resolves when it has exited, with its job events. */
function startWorkerProcess(index: number, env: NodeJS.ProcessEnv, t0: number, children: ChildProcess[]): Promise<WorkerExit> {
  const args = [cliBin, 'worker', '--concurrency', String(CONCURRENCY), '--exit-when-idle', '--poll-ms', String(POLL_MS), '--json'];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const events: WorkerEvent[] = [];
  let pending = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    const at = performance.now() - t0;
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        events.push({ ...(JSON.parse(line) as Omit<WorkerEvent, 'at'>), at });
      } catch {
        events.push({ type: 'unparsable', error: line, at });
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ index, code, signal, stderr, events, exitedAt: performance.now() - t0 }));
  });
}

/** What one run measured. */
interface RunResult {
  workers: number;
  jobs: number;
  pages: number;
  chunks: number;
  embedRequests: number;
  /** Spawn until every worker exited, seconds. */
  seconds: number;
  /** Spawn until the first job started, seconds. */
  firstStart: number;
  /** Spawn until the last job was done, seconds. */
  lastDone: number;
  /** Jobs done by each worker. */
  perWorker: number[];
  /** Per source: `ordinal:text hash:vector md5` of each chunk, in order. */
  chunkSet: Map<string, string[]>;
}

class BenchFailure extends Error {}

function fail(message: string): never {
  throw new BenchFailure(message);
}

async function chunkSet(db: Database): Promise<Map<string, string[]>> {
  const { rows } = await db.pool.query<{ source: string; k: string }>(
    `SELECT d.source, k.ordinal || ':' || k.text_hash || ':' || md5(k.embedding::text) AS k
       FROM chunks k JOIN documents d ON d.id = k.document_id JOIN collections c ON c.id = k.collection_id
      WHERE c.name = $1 ORDER BY d.source, k.ordinal`,
    [COLLECTION],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const list = out.get(r.source) ?? [];
    list.push(r.k);
    out.set(r.source, list);
  }
  return out;
}

/** Queue one page job per URL in a fresh database and work the queue with `workers` processes. */
async function runOnce(serverUrl: string, urls: readonly string[], workers: number, standIn: OpenAIStandIn): Promise<RunResult> {
  const db = await scratchDatabase(serverUrl, { maxConnections: 2 });
  const children: ChildProcess[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const jobs = await enqueueJobs(
      db.pool,
      urls.map((source) => ({ collection: COLLECTION, source, kind: 'page' as const, options: { allowPrivateNetwork: true, ...(DEFER_INDEX ? { deferIndex: true } : {}), model: { provider: 'openai' as const } } })),
    );
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url, OPENAI_BASE_URL: standIn.url, OPENAI_API_KEY: 'sk-bench' };
    standIn.requests.length = 0;

    const t0 = performance.now();
    const exits = Array.from({ length: workers }, (_, i) => startWorkerProcess(i, env, t0, children));
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS)));
    const all = Promise.all(exits);
    if ((await Promise.race([all, timedOut])) === 'timeout') {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      const killed = await all;
      fail(`${workers} worker(s) had not exited after ${TIMEOUT_MS / 1000} s and were killed. Last output:\n${killed.map((w) => w.stderr.split('\n').slice(-5).join('\n')).join('\n')}`);
    }
    const done = await all;
    const seconds = (performance.now() - t0) / 1000;
    const embedRequests = standIn.requests.filter((r) => r.path === '/v1/embeddings').length;

    for (const w of done) {
      if (w.code !== 0) fail(`worker ${w.index + 1} of ${workers} exited with ${w.code ?? w.signal}:\n${w.stderr}`);
    }
    const events = done.flatMap((w) => w.events.map((e) => ({ ...e, worker: w.index })));
    // `index`: the HNSW index built after the last deferred-index job (BENCH_DEFER_INDEX=1).
    const bad = events.filter((e) => !['start', 'done', 'index'].includes(e.type));
    if (bad.length > 0) fail(`${workers} worker(s): unexpected events: ${bad.slice(0, 5).map((e) => JSON.stringify(e)).join('; ')}`);
    const ids = jobs.map((j) => j.id);
    for (const type of ['start', 'done']) {
      const counts = new Map<number, number>();
      for (const e of events) if (e.type === type && e.jobId !== undefined) counts.set(e.jobId, (counts.get(e.jobId) ?? 0) + 1);
      const wrong = ids.filter((id) => counts.get(id) !== 1);
      if (wrong.length > 0 || counts.size !== ids.length) {
        fail(`${workers} worker(s): jobs not ${type === 'start' ? 'started' : 'done'} exactly once: ${wrong.slice(0, 10).map((id) => `${id} (${counts.get(id) ?? 0}×)`).join(', ')}`);
      }
    }

    const { rows: stored } = await db.pool.query<{ id: string; state: string; attempts: number; last_error: string | null; pages: number }>(
      'SELECT id, state, attempts, last_error, pages FROM jobs ORDER BY id',
    );
    if (stored.length !== jobs.length) fail(`${workers} worker(s): ${stored.length} jobs in the table, ${jobs.length} queued`);
    const notOnce = stored.filter((j) => j.state !== 'done' || j.attempts !== 1 || j.last_error !== null);
    if (notOnce.length > 0) {
      fail(`${workers} worker(s): jobs not done on their first attempt: ${notOnce.slice(0, 5).map((j) => `${j.id} ${j.state} attempt ${j.attempts}${j.last_error ? ` (${j.last_error})` : ''}`).join('; ')}`);
    }
    const { rows: counts } = await db.pool.query<{ pages: number; chunks: number }>(
      `SELECT (SELECT count(*)::int FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = $1) AS pages,
              (SELECT count(*)::int FROM chunks k JOIN collections c ON c.id = k.collection_id WHERE c.name = $1) AS chunks`,
      [COLLECTION],
    );
    const { pages, chunks } = counts[0]!;
    if (pages !== jobs.length) fail(`${workers} worker(s): ${pages} pages stored for ${jobs.length} page jobs`);
    const noPage = stored.filter((j) => j.pages !== 1);
    if (noPage.length > 0) fail(`${workers} worker(s): jobs that did not store exactly one page: ${noPage.slice(0, 5).map((j) => `${j.id} (${j.pages})`).join(', ')}`);

    const at = (type: string, pick: (xs: number[]) => number) => pick(events.filter((e) => e.type === type).map((e) => e.at)) / 1000;
    return {
      workers,
      jobs: jobs.length,
      pages,
      chunks,
      embedRequests,
      seconds,
      firstStart: at('start', (xs) => Math.min(...xs)),
      lastDone: at('done', (xs) => Math.max(...xs)),
      perWorker: done.map((w) => w.events.filter((e) => e.type === 'done').length),
      chunkSet: await chunkSet(db),
    };
  } finally {
    clearTimeout(timer);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await db.close();
  }
}

/** Why two chunk sets differ, or undefined when they are the same. */
function compareChunkSets(a: Map<string, string[]>, b: Map<string, string[]>): string | undefined {
  for (const source of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(source) ?? [];
    const y = b.get(source) ?? [];
    if (x.length !== y.length) return `${source}: ${x.length} chunks vs ${y.length}`;
    const i = x.findIndex((k, n) => k !== y[n]);
    if (i >= 0) return `${source}: chunk ${i} differs (${x[i]} vs ${y[i]})`;
  }
  return undefined;
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    console.log('bench:jobs skipped: DATABASE_URL is not set (several worker processes need a Postgres server; the embedded database is held by one process at a time).');
    return;
  }
  if (!existsSync(cliBin)) fail(`${cliBin} is missing: run \`npm run build\` first.`);

  const sites: Site[] = [{ name: 'demo-site', dir: path.join(root, 'demo-site') }];
  const drf = corpusPath('drf-docs');
  if (existsSync(drf)) sites.push({ name: 'drf-docs', dir: drf });

  // No rate limit in the way: the stand-in's latency is the model's only cost.
  const standIn = await startOpenAIStandIn({ latencyMs: LATENCY_MS, rpm: 100_000_000, tpm: 100_000_000_000 });
  const servers: StaticServer[] = [];
  try {
    const perSite: Array<{ site: Site; urls: string[] }> = [];
    for (const site of sites) {
      const server = await serveStatic(site.dir);
      servers.push(server);
      perSite.push({ site, urls: await pageUrls(site.dir, server) });
    }
    // The demo site whole (it is small), then pages of the other sites spread evenly over them.
    const demo = perSite[0]!.urls.slice(0, JOBS);
    const others = perSite.slice(1).flatMap((s) => s.urls);
    const urls = [...demo, ...sample(others, JOBS - demo.length)];
    const taken = perSite.map((s) => `${s.site.name} ${urls.filter((u) => s.urls.includes(u)).length} of ${s.urls.length}`);

    console.log(`ragline jobs benchmark: ${urls.length} page jobs (${taken.join(', ')}${urls.length < JOBS ? `; BENCH_JOBS=${JOBS} asked for more than there are` : ''})`);
    console.log(
      `server ${new URL(serverUrl).host}, a fresh database per run; stand-in latency ${LATENCY_MS} ms per request; workers: --concurrency ${CONCURRENCY} --poll-ms ${POLL_MS}${DEFER_INDEX ? '; jobs with deferIndex' : ''}; ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}\n`,
    );
    if (!existsSync(drf)) console.log(`drf-docs: skipped (no ${drf})`);

    const results: RunResult[] = [];
    for (const workers of WORKERS) {
      const r = await runOnce(serverUrl, urls, workers, standIn);
      const differs = results[0] ? compareChunkSets(results[0].chunkSet, r.chunkSet) : undefined;
      if (differs) fail(`${workers} worker(s) stored other chunks than ${results[0]!.workers}: ${differs}`);
      results.push(r);
      console.error(`  ${workers} worker(s): ${r.jobs} jobs in ${r.seconds.toFixed(2)} s`);
    }

    const base = results[0]!;
    const rows: Array<Array<string | number>> = [
      ['workers', 'jobs', 'pages', 'chunks', 'seconds', 'jobs/s', 'chunks/s', 'speed-up', 'first start s', 'last done s', 'exit lag s', 'embed requests', 'jobs per worker'],
      ...results.map((r) => [
        r.workers,
        r.jobs,
        r.pages,
        r.chunks,
        r.seconds.toFixed(2),
        (r.jobs / r.seconds).toFixed(1),
        Math.round(r.chunks / r.seconds),
        `${(base.seconds / r.seconds).toFixed(2)}×`,
        r.firstStart.toFixed(2),
        r.lastDone.toFixed(2),
        (r.seconds - r.lastDone).toFixed(2),
        r.embedRequests,
        r.perWorker.join('/'),
      ]),
    ];
    printTable(rows);
    console.log(
      'seconds: spawn of the workers until all exited; first start / last done: spawn until the first job started / the last was done (read from `--json`); exit lag: last done until all exited.',
    );
    const last = results[results.length - 1]!;
    const plural = (n: number) => `${n} worker${n === 1 ? '' : 's'}`;
    console.log(
      `bench:jobs: ${plural(last.workers)}: ${last.jobs} jobs in ${last.seconds.toFixed(2)} s (${(last.jobs / last.seconds).toFixed(1)} jobs/s), ` +
        `${(base.seconds / last.seconds).toFixed(2)}× ${plural(base.workers)} (${base.seconds.toFixed(2)} s); ` +
        `every job done exactly once, the same ${base.chunks} chunks in ${results.length === 2 ? 'both runs' : 'every run'}.`,
    );
  } finally {
    for (const server of servers) await server.close();
    await standIn.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof BenchFailure ? `bench:jobs FAILED: ${err.message}` : err);
  process.exitCode = 1;
});
