/**
 * Benchmark of `ragline serve`: requests per second and p50/p95 latency of `/api/search` and
 * `/api/ask` at 1, 10 and 50 concurrent clients, against the Postgres server (DATABASE_URL), with
 * the OpenAI stand-in as the model at a fixed latency. The server is the `ragline serve` command and
 * the stand-in its own process, as in production. The overhead is the server's latency minus
 * the model's own: the same model calls (question embedding; embedding and answer) made directly
 * at the same concurrency.
 *
 *   npm run build && DATABASE_URL=postgres://... node dist/bench/serve.js [--latency 50] [--requests 200]
 *
 * Target: overhead p95 under 30 ms at 10 clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { percentile, printTable, scratchDatabase } from './common.js';
import { serveStatic } from '../src/net/static-server.js';
import { ingest, search } from '../src/index.js';
import { packContext } from '../src/core/pack-context.js';
import { openAIClient } from '../src/models/openai/client.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { packageRoot } from '../src/package-root.js';

const { values } = parseArgs({ options: { latency: { type: 'string', default: '50' }, requests: { type: 'string', default: '200' } } });
const LATENCY_MS = Number(values.latency);
const REQUESTS = Number(values.requests);
const CONCURRENCY = [1, 10, 50];

const QUESTIONS = [
  'With the default settings, how many times is a failing job retried?',
  'How do I schedule a cron job in a specific time zone?',
  'How do I re-run jobs from the dead-letter queue?',
  'Which Prometheus metrics does Tidewater export?',
  'How do I upgrade from version 2 to 3?',
];

/** Run `n` calls of `fn` with `concurrency` in flight; latencies in ms and the wall time. */
async function load(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await fn(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000 };
}

/** Start a child process and resolve with the first match of `pattern` in its output. */
function spawnUntil(args: string[], env: NodeJS.ProcessEnv, pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = pattern.exec(output);
      if (match) resolve({ child, match });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}: ${output}`)));
  });
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux); NaN elsewhere. */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  await exited;
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    console.error('bench/serve: set DATABASE_URL to a Postgres server with pgvector (the benchmark runs against the server database).');
    process.exitCode = 1;
    return;
  }
  const root = packageRoot();
  const db = await scratchDatabase(serverUrl, { maxConnections: 10 });
  const site = await serveStatic(path.join(root, 'demo-site'));
  const children: ChildProcess[] = [];
  try {
    // The model and the server each get a process of their own, as in production: their work
    // must not share an event loop with each other or with the load generator.
    const standIn = await spawnUntil(
      [path.join(root, 'dist', 'test', 'stand-in', 'main.js'), '--port', '0', '--latency-ms', String(LATENCY_MS), '--rpm', '100000000', '--tpm', '100000000000'],
      process.env,
      /OPENAI_BASE_URL=(\S+)/,
    );
    children.push(standIn.child);
    const baseURL = standIn.match[1]!;
    const client = await openAIClient({ apiKey: 'sk-bench', baseURL, maxRetries: 0 });
    const embedding = createOpenAIEmbedding({ client });
    const chat = createOpenAIChat({ client, model: 'gpt-4o-mini' });
    await ingest({ db, source: site.url, collection: 'docs', embedding, crawl: { allowPrivateNetwork: true } });

    const serve = await spawnUntil(
      [
        // RAGLINE_BENCH_PROFILE=<dir> writes a CPU profile of the server to that folder.
        ...(process.env.RAGLINE_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.RAGLINE_BENCH_PROFILE] : []),
        path.join(root, 'dist', 'src', 'cli', 'main.js'), 'serve', '--port', '0', '--collection', 'docs', '--rate-limit', '100000000', '--max-concurrent', '64', '--max-queue', '256',
      ],
      { ...process.env, DATABASE_URL: db.url, OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: 'sk-bench' },
      /Serving on (http:\/\/\S+?)\/ /,
    );
    children.push(serve.child);
    const server = serve.match[1]!;

    // The model-only baseline: the same calls the server makes, made directly.
    const prompts: Array<ReturnType<typeof packContext>> = [];
    for (const question of QUESTIONS) {
      const results = await search({ db, collection: 'docs', query: question, k: 8, connection: { client } });
      prompts.push(packContext(results, question, chat));
    }
    const modelAsk = async (i: number) => {
      await embedding.embed({ inputs: [QUESTIONS[i % QUESTIONS.length]!] });
      const prompt = prompts[i % prompts.length]!;
      for await (const _ of chat.stream({ messages: prompt.messages, maxOutputTokens: prompt.maxOutputTokens })) void _;
    };
    const modelSearch = async (i: number) => {
      await embedding.embed({ inputs: [QUESTIONS[i % QUESTIONS.length]!] });
    };
    const serverSearch = async (i: number) => post(`${server}/api/search`, { query: QUESTIONS[i % QUESTIONS.length], k: 5 });
    const serverAsk = async (i: number) => post(`${server}/api/ask`, { question: QUESTIONS[i % QUESTIONS.length] });

    console.log(`ragline serve benchmark: ${db.description}, stand-in model latency ${LATENCY_MS} ms per call, ${REQUESTS} requests per row`);
    console.log(`server, stand-in and load generator in separate processes on this machine (${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)})`);
    const rows: Array<Array<string | number>> = [['endpoint', 'clients', 'req/s', 'p50 ms', 'p95 ms', 'model p50', 'model p95', 'overhead p50', 'overhead p95', 'server CPU ms/req']];
    for (const [endpoint, viaServer, direct] of [
      ['/api/search', serverSearch, modelSearch],
      ['/api/ask', serverAsk, modelAsk],
    ] as const) {
      for (const concurrency of CONCURRENCY) {
        await load(Math.min(20, REQUESTS), concurrency, viaServer); // warm-up
        const model = await load(REQUESTS, concurrency, direct);
        const cpuBefore = cpuMs(serve.child.pid);
        const served = await load(REQUESTS, concurrency, viaServer);
        const cpu = (cpuMs(serve.child.pid) - cpuBefore) / REQUESTS;
        const p = (xs: number[], q: number) => percentile(xs, q);
        rows.push([
          endpoint,
          concurrency,
          (REQUESTS / served.seconds).toFixed(0),
          p(served.latencies, 50).toFixed(1),
          p(served.latencies, 95).toFixed(1),
          p(model.latencies, 50).toFixed(1),
          p(model.latencies, 95).toFixed(1),
          (p(served.latencies, 50) - p(model.latencies, 50)).toFixed(1),
          (p(served.latencies, 95) - p(model.latencies, 95)).toFixed(1),
          cpu.toFixed(1),
        ]);
      }
    }
    printTable(rows);
    console.log('overhead = server latency − the same model calls made directly, at the same concurrency (percentile by percentile);');
    console.log('for /api/search it includes the database search itself, which the model-only baseline does not make.');
  } finally {
    for (const child of children.reverse()) await stop(child);
    await site.close();
    await db.close();
  }
}

async function post(url: string, body: unknown): Promise<void> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}: ${await r.text()}`);
  await r.arrayBuffer();
}

await main();
