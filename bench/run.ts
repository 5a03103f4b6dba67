/**
 * `npm run bench`: the benchmarks that track the project's targets, one after another, each in a
 * process of its own (so one's memory and connections don't colour the next):
 *
 *   ingest        documentation sites through the stand-in: wall time, chunks/s, re-ingest, search
 *                 latency — embedded database, and the server when DATABASE_URL is set
 *   copy          the server write path against a raw binary COPY and a multi-row INSERT, 100k rows
 *   search-scale  HNSW search at 100k chunks: p50/p95 and recall@10 against exact search
 *   jobs          durable ingestion jobs worked by 1 and by 3 worker processes
 *   pdf           PDF pages/s and peak RSS next to LangChain.js's PDFLoader (pdf-parse); needs chromium
 *
 * The last three need a Postgres server (DATABASE_URL) and say so in one line without it.
 * `BENCH_ONLY=copy,jobs` runs a subset. The others (crawl, embed-rate, serve, minutes) run alone:
 * `npm run bench:<name>`. A benchmark that fails makes this exit non-zero, after the rest ran.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SUITES: Array<{ name: string; env?: Record<string, string> }> = [
  { name: 'ingest' },
  // The issue's scale: 100k rows (bench:copy alone defaults to 20k for a quicker look).
  { name: 'copy', env: { BENCH_ROWS: process.env.BENCH_ROWS ?? '100000' } },
  { name: 'search-scale' },
  { name: 'jobs' },
  { name: 'pdf' },
];

const only = process.env.BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((n) => !SUITES.some((s) => s.name === n)) ?? [];
if (unknown.length > 0) {
  console.error(`BENCH_ONLY names unknown benchmarks: ${unknown.join(', ')} (there are: ${SUITES.map((s) => s.name).join(', ')}).`);
  process.exit(2);
}

const here = path.dirname(fileURLToPath(import.meta.url));
let failed = 0;
for (const suite of SUITES) {
  if (only && !only.includes(suite.name)) continue;
  console.log(`\n=== ${suite.name} ===`);
  const started = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [path.join(here, `${suite.name}.js`)], { stdio: 'inherit', env: { ...process.env, ...suite.env } });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  console.log(`(${suite.name}: ${((performance.now() - started) / 1000).toFixed(0)} s${code === 0 ? '' : `, FAILED with exit code ${code}`})`);
  if (code !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
