/**
 * `npm run bench:pdf`: PDF reading speed and memory, ragline against LangChain.js's `PDFLoader`
 * approach (pdf-parse's bundled pdf.js, page by page), on a real multi-page PDF made on the spot:
 * a documentation page served on loopback, printed by headless Chromium, its copies joined with
 * `pdfunite` (poppler-utils) up to `BENCH_PDF_PAGES` pages (default 200).
 *
 * Each reader runs in a process of its own, so its peak RSS is its own. pdf-parse is installed
 * into a throwaway folder outside the project (`BENCH_PEER_DIR`, default /tmp/peer-pdf), never as
 * a dependency; without it (offline) its column is skipped with the reason. Without chromium the
 * benchmark says so and exits 0.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serveStatic } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import { corpusPath } from '../test/support/corpora.js';

const run = promisify(execFile);
const PEER_DIR = process.env.BENCH_PEER_DIR ?? '/tmp/peer-pdf';
const PAGES = Number(process.env.BENCH_PDF_PAGES ?? 200);

/** What one reader reports from its own process. */
interface Measure {
  pages: number;
  chars: number;
  ms: number;
  peakRssMb: number;
}

async function which(name: string): Promise<string | undefined> {
  return run('sh', ['-c', `command -v ${name}`]).then((r) => r.stdout.trim() || undefined, () => undefined);
}

/** ragline's extract stage on the file, as an ingest reads it. */
async function measureRagline(file: string): Promise<Omit<Measure, 'peakRssMb'>> {
  const { readFiles } = await import('../src/stages/read-files.js');
  const { extract } = await import('../src/stages/extract.js');
  const started = performance.now();
  let chars = 0;
  const pages = new Set<number>();
  for await (const doc of extract(readFiles(file, { maxFileBytes: 2 ** 31 }))) {
    for (const b of doc.blocks) {
      chars += b.text.length;
      if (b.page !== undefined) pages.add(b.page);
    }
  }
  return { pages: Math.max(0, ...pages), chars, ms: performance.now() - started };
}

/** LangChain.js's PDFLoader: pdf-parse's bundled pdf.js, each page's items joined by line. */
async function measurePeer(file: string): Promise<Omit<Measure, 'peakRssMb'>> {
  const require = createRequire(path.join(PEER_DIR, 'index.js'));
  const pdfjs = require('pdf-parse/lib/pdf.js/v1.10.100/build/pdf.js') as {
    getDocument(o: object): { promise: Promise<{ numPages: number; getPage(n: number): Promise<{ getTextContent(): Promise<{ items: Array<{ str: string; transform: number[] }> }> }> }> };
  };
  const started = performance.now();
  const raw = await readFile(file);
  const pdf = await pdfjs.getDocument({ data: new Uint8Array(raw.buffer), useWorkerFetch: false, isEvalSupported: false, useSystemFonts: true }).promise;
  let chars = 0;
  for (let i = 1; i <= pdf.numPages; i++) {
    const content = await (await pdf.getPage(i)).getTextContent();
    let lastY: number | undefined;
    const parts: string[] = [];
    for (const item of content.items) {
      parts.push(lastY === item.transform[5] || lastY === undefined ? item.str : `\n${item.str}`);
      lastY = item.transform[5];
    }
    chars += parts.join('').length;
  }
  return { pages: pdf.numPages, chars, ms: performance.now() - started };
}

/** Child mode: measure one reader and print its figures as JSON. */
async function child(which: string, file: string): Promise<void> {
  const result = which === 'ragline' ? await measureRagline(file) : await measurePeer(file);
  const peakRssMb = Math.round((process.resourceUsage().maxRSS * 1024) / 1e6);
  process.stdout.write(JSON.stringify({ ...result, peakRssMb }));
}

function measureInChild(reader: string, file: string): Promise<Measure> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--measure', reader, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Measure) : reject(new Error(`${reader} exited with ${code}`))));
  });
}

/** pdf-parse in the throwaway folder, or why not. */
async function peerReady(): Promise<string | undefined> {
  if (existsSync(path.join(PEER_DIR, 'node_modules', 'pdf-parse'))) return undefined;
  try {
    await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', PEER_DIR, 'pdf-parse@1.1.1'], { timeout: 180_000 });
    return undefined;
  } catch (error) {
    return `pdf-parse could not be installed into ${PEER_DIR} (${(error as Error).message.split('\n')[0]})`;
  }
}

/** A docs page printed to PDF, its copies joined up to PAGES pages. */
async function makePdf(chromium: string, dir: string): Promise<{ file: string; page: string }> {
  const drf = corpusPath('drf-docs');
  const [root, page] = existsSync(drf) ? [drf, 'api-guide/serializers/'] : [path.join(packageRoot(), 'demo-site'), 'guide/retries/'];
  const site = await serveStatic(root);
  const one = path.join(dir, 'one.pdf');
  try {
    await run(chromium, ['--headless', '--no-sandbox', '--disable-gpu', '--no-pdf-header-footer', `--print-to-pdf=${one}`, `${site.url}${page}`], { timeout: 120_000 });
  } finally {
    await site.close();
  }
  const pdfinfo = await which('pdfinfo');
  const pdfunite = await which('pdfunite');
  const onePages = pdfinfo ? Number(/Pages:\s+(\d+)/.exec((await run(pdfinfo, [one])).stdout)?.[1] ?? 1) : 1;
  if (!pdfunite || onePages >= PAGES) return { file: one, page };
  const file = path.join(dir, 'many.pdf');
  await run(pdfunite, [...Array.from({ length: Math.ceil(PAGES / onePages) }, () => one), file], { timeout: 300_000 });
  return { file, page };
}

function row(name: string, m: Measure): string {
  return `${name.padEnd(34)} ${String(m.pages).padStart(6)} ${((m.pages / m.ms) * 1000).toFixed(1).padStart(9)} ${String(m.peakRssMb).padStart(9)} ${String(m.chars).padStart(10)}`;
}

async function main(): Promise<void> {
  const chromium = await which('chromium');
  if (!chromium) {
    console.log('PDF benchmark skipped: chromium is not installed (it prints the PDF).');
    return;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-bench-pdf-'));
  try {
    const { file, page } = await makePdf(chromium, dir);
    const size = (await stat(file)).size;
    const ragline = await measureInChild('ragline', file);
    console.log(`PDF: ${page} printed by Chromium${ragline.pages > 0 ? `, ${ragline.pages} pages` : ''}, ${(size / 1e6).toFixed(1)} MB`);
    console.log(`${'reader'.padEnd(34)} ${'pages'.padStart(6)} ${'pages/s'.padStart(9)} ${'peak MB'.padStart(9)} ${'chars'.padStart(10)}`);
    console.log(row('ragline (pdfjs-dist 5, extract)', ragline));
    const why = await peerReady();
    if (why) console.log(`LangChain.js PDFLoader (pdf-parse): skipped: ${why}.`);
    else console.log(row('LangChain.js PDFLoader (pdf-parse)', await measureInChild('peer', file)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--measure') await child(process.argv[3] as string, process.argv[4] as string);
else await main();
