/**
 * `npm run bench:peer`: ragline's ingest against the LangChain.js way of doing the same, in one run
 * on the same site and the same OpenAI stand-in — wall time of each as a user would run it (a
 * process from start to exit), and the ratio.
 *
 *   LangChain.js   RecursiveUrlLoader (html-to-text extractor) + RecursiveCharacterTextSplitter
 *                  1000/200 + OpenAIEmbeddings + PGVectorStore on the Postgres server (DATABASE_URL)
 *   ragline        `ragline ingest <site>` on its default embedded store (a fresh data folder), and
 *                  on the Postgres server (when DATABASE_URL is set)
 *
 * The LangChain.js packages are not a dependency of ragline: they are installed (once, kept between
 * runs) into a throwaway folder outside the project, os.tmpdir()/ragline-peer (BENCH_PEER_DIR).
 * The site (BENCH_PEER_SITE, default the drf-docs corpus) is served on this machine's own network
 * address (LangChain's loader refuses loopback by name); the stand-in runs in
 * this process with BENCH_LATENCY_MS per request (default 0). BENCH_REPEAT (default 1) runs each
 * tool that many times, alternating; the table shows every run. ragline's lines also show the time
 * its own summary reports ("in X s"): the rest is process start, opening and closing the store.
 * BENCH_BEFORE_CLI (the dist/src/cli/main.js of another ragline build, e.g. an older commit) adds
 * its embedded ingest to each run, for a before/after in the same run.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serveStatic } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import { startOpenAIStandIn } from '../test/stand-in/openai-stand-in.js';
import { emptyServerDatabase, printTable } from './common.js';
import { corpusPath } from '../test/support/corpora.js';

const PEER_DIR = process.env.BENCH_PEER_DIR ?? path.join(os.tmpdir(), 'ragline-peer');
const SITE = process.env.BENCH_PEER_SITE ?? corpusPath('drf-docs');
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 0);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 1);
const PACKAGES = ['@langchain/community@1', '@langchain/textsplitters@1', '@langchain/openai@1', '@langchain/core@1', 'pg', 'jsdom', 'html-to-text'];

/** The LangChain.js ingest, as its documentation shows it. */
const PEER_SCRIPT = `
import { RecursiveUrlLoader } from '@langchain/community/document_loaders/web/recursive_url';
import { PGVectorStore } from '@langchain/community/vectorstores/pgvector';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { OpenAIEmbeddings } from '@langchain/openai';
import { compile } from 'html-to-text';

const loader = new RecursiveUrlLoader(process.env.SITE_URL, { maxDepth: 10, extractor: compile({ wordwrap: false }), preventOutside: true });
const docs = await loader.load();
const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 1000, chunkOverlap: 200 });
const chunks = await splitter.splitDocuments(docs);
const embeddings = new OpenAIEmbeddings({ model: 'text-embedding-3-small', apiKey: 'bench', configuration: { baseURL: process.env.OPENAI_BASE_URL } });
const store = await PGVectorStore.initialize(embeddings, {
  postgresConnectionOptions: { connectionString: process.env.DATABASE_URL },
  tableName: process.env.TABLE,
  dimensions: 1536,
});
await store.addDocuments(chunks);
await store.end();
console.log(JSON.stringify({ pages: docs.length, chunks: chunks.length }));
`;

/** Run `args` with node; resolve with its wall time and output, reject on a non-zero exit. */
function runNode(args: string[], env: Record<string, string>, cwd: string): Promise<{ ms: number; stdout: string; stderr: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, stdout, stderr });
      else reject(new Error(`node ${args.join(' ')} exited with ${code}:\n${stderr.slice(-2000)}`));
    });
  });
}

async function installPeer(): Promise<void> {
  if (existsSync(path.join(PEER_DIR, 'node_modules', '@langchain', 'community', 'package.json'))) return;
  await mkdir(PEER_DIR, { recursive: true });
  if (!existsSync(path.join(PEER_DIR, 'package.json'))) await writeFile(path.join(PEER_DIR, 'package.json'), '{"name":"ragline-peer","private":true,"type":"module"}\n');
  console.log(`installing LangChain.js into ${PEER_DIR} (once) ...`);
  // --legacy-peer-deps: @langchain/community lists dozens of optional integrations as peers.
  await new Promise<void>((resolve, reject) => {
    const child = spawn('npm', ['install', '--no-audit', '--no-fund', '--legacy-peer-deps', ...PACKAGES], { cwd: PEER_DIR, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm install in ${PEER_DIR} failed (exit ${code})`))));
  });
}

/** `ragline ingest` of the site into a fresh embedded store with the CLI at `cli`; its wall ms. */
async function embeddedRun(cli: string, tool: string, run: number, rows: Array<Array<string | number>>, env: Record<string, string>, siteUrl: string): Promise<number> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-peer-store-'));
  try {
    const ours = await runNode([cli, 'ingest', siteUrl, '--allow-private-network', '--json'], { ...env, RAGLINE_DATA_DIR: dataDir, DATABASE_URL: '' }, dataDir);
    const s = JSON.parse(ours.stdout) as { documents: number; chunks: number; ms: number };
    rows.push([run, tool, 'embedded (PGlite)', s.documents, s.chunks, (ours.ms / 1000).toFixed(2), (s.ms / 1000).toFixed(2)]);
    return ours.ms;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    console.log('bench:peer needs DATABASE_URL: the LangChain.js way stores in PGVectorStore on a Postgres server.');
    return;
  }
  if (!existsSync(SITE)) {
    console.log(`bench:peer: no site at ${SITE}: set BENCH_PEER_SITE to a folder of HTML pages.`);
    return;
  }
  await installPeer();
  await writeFile(path.join(PEER_DIR, 'peer-ingest.mjs'), PEER_SCRIPT);
  const standIn = await startOpenAIStandIn({ latencyMs: LATENCY_MS });
  // LangChain.js's loader refuses loopback and private addresses by their literal (an SSRF guard),
  // so the site is served on this machine's own network address, which both tools then crawl.
  const host = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!host) {
    console.log('bench:peer: this machine has no non-loopback IPv4 address to serve the site on (LangChain.js refuses loopback).');
    return;
  }
  const site = await serveStatic(SITE, { host });
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const common = { OPENAI_API_KEY: 'bench', OPENAI_BASE_URL: standIn.url };
  console.log(`site ${SITE} on ${site.url}; stand-in latency ${LATENCY_MS} ms; ${REPEAT} run(s) each; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  const rows: Array<Array<string | number>> = [['run', 'tool', 'store', 'pages', 'chunks', 'wall s', 'own summary s']];
  const walls: Record<string, number[]> = { langchain: [], embedded: [], server: [], before: [] };
  try {
    for (let r = 1; r <= REPEAT; r++) {
      const peerDb = await emptyServerDatabase(serverUrl);
      try {
        const peer = await runNode([path.join(PEER_DIR, 'peer-ingest.mjs')], { SITE_URL: site.url, OPENAI_BASE_URL: standIn.url, DATABASE_URL: peerDb.url, TABLE: 'peer_chunks' }, PEER_DIR);
        const counts = JSON.parse(peer.stdout.trim().split('\n').at(-1)!) as { pages: number; chunks: number };
        walls.langchain!.push(peer.ms);
        rows.push([r, 'LangChain.js', 'server (PGVectorStore)', counts.pages, counts.chunks, (peer.ms / 1000).toFixed(2), '-']);
      } finally {
        await peerDb.drop();
      }
      if (process.env.BENCH_BEFORE_CLI) walls.before!.push(await embeddedRun(process.env.BENCH_BEFORE_CLI, 'ragline (before)', r, rows, common, site.url));
      walls.embedded!.push(await embeddedRun(cli, 'ragline', r, rows, common, site.url));
      const ourDb = await emptyServerDatabase(serverUrl);
      try {
        const ours = await runNode([cli, 'ingest', site.url, '--allow-private-network', '--json'], { ...common, DATABASE_URL: ourDb.url }, os.tmpdir());
        const s = JSON.parse(ours.stdout) as { documents: number; chunks: number; ms: number };
        walls.server!.push(ours.ms);
        rows.push([r, 'ragline', 'server', s.documents, s.chunks, (ours.ms / 1000).toFixed(2), (s.ms / 1000).toFixed(2)]);
      } finally {
        await ourDb.drop();
      }
    }
  } finally {
    await site.close();
    await standIn.close();
  }
  printTable(rows);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const peer = median(walls.langchain!);
  console.log(`\nLangChain.js ÷ ragline embedded: ${(peer / median(walls.embedded!)).toFixed(2)}× (target ≥ 3×)`);
  console.log(`LangChain.js ÷ ragline server:   ${(peer / median(walls.server!)).toFixed(2)}×`);
  if (walls.before!.length) console.log(`LangChain.js ÷ ragline embedded (before): ${(peer / median(walls.before!)).toFixed(2)}×`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
