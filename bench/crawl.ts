/**
 * Crawler throughput: pages per minute over loopback with politeness off, ragline's `crawl` next
 * to Crawlee's CheerioCrawler (its defaults, storage in a temp dir) on the same sites in the same
 * run, with each crawler's peak memory (max RSS of its own process).
 *
 * Sites: a generated documentation site (`--pages`, default 3000; pages link to their section,
 * siblings and a few pages elsewhere, plus one page only the sitemap lists), and
 * ../shared/corpora/drf-docs when present. Both are served by `serveStatic` on 127.0.0.1 in this
 * process; each crawler runs in a child process so its RSS is its own.
 *
 *   npm run bench:crawl                    # generated site and drf-docs
 *   node dist/bench/crawl.js --pages 5000 --rounds 3
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serveStatic } from '../src/net/static-server.js';
import { crawl } from '../src/stages/crawl.js';
import { corpusPath } from '../test/support/corpora.js';

interface WorkerResult {
  crawler: string;
  pages: number;
  ms: number;
  maxRssMb: number;
}

const WORDS = 'request response serializer viewset router permission throttle pagination filter schema authentication token session cache version renderer parser validator field relation'.split(' ');

/** A documentation-like site: sections of pages, each linking its section index, neighbours and a few others. */
async function generateSite(dir: string, pages: number): Promise<number> {
  const sections = Math.max(1, Math.round(Math.sqrt(pages / 4)));
  const perSection = Math.ceil(pages / sections);
  const pathOf = (i: number) => `/s${Math.floor(i / perSection)}/p${i}/`;
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const paragraph = (i: number) =>
    Array.from({ length: 60 }, (_, j) => WORDS[(i * 7 + j * 3 + Math.floor(random() * WORDS.length)) % WORDS.length]).join(' ');
  const nav = Array.from({ length: sections }, (_, s) => `<li><a href="/s${s}/">Section ${s}</a></li>`).join('');
  const layout = (title: string, body: string) =>
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><link rel="canonical" href="https://docs.example.com${title === 'Home' ? '/' : ''}"></head>` +
    `<body><nav><ul>${nav}</ul></nav><main><h1>${title}</h1>${body}</main><footer><a href="/">Home</a></footer></body></html>`;
  const write = async (urlPath: string, html: string) => {
    const file = path.join(dir, urlPath, 'index.html');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, html);
  };
  await write('/', layout('Home', `<p>${paragraph(0)}</p>`));
  for (let s = 0; s < sections; s++) {
    const members = Array.from({ length: perSection }, (_, k) => s * perSection + k).filter((i) => i < pages);
    await write(`/s${s}/`, layout(`Section ${s}`, `<ul>${members.map((i) => `<li><a href="${pathOf(i)}">Page ${i}</a></li>`).join('')}</ul>`));
  }
  for (let i = 0; i < pages; i++) {
    const others = [i - 1, i + 1, Math.floor(random() * pages), Math.floor(random() * pages)].filter((j) => j >= 0 && j < pages);
    await write(pathOf(i), layout(`Page ${i}`, `<p>${paragraph(i)}</p><p>${paragraph(i + 1)}</p>${others.map((j) => `<a href="${pathOf(j)}#top">see ${j}</a>`).join(' ')}`));
  }
  // One page no link reaches: only the sitemap lists it (Crawlee, which reads no sitemap by default, misses it).
  await write('/sitemap-only/', layout('Sitemap only', `<p>${paragraph(pages + 1)}</p>`));
  await writeFile(
    path.join(dir, 'sitemap.xml'),
    `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://docs.example.com/sitemap-only/</loc></url></urlset>`,
  );
  return 1 + sections + pages; // reachable by links
}

/** Run one crawler in a child process (this file with --worker). */
function runWorker(crawler: string, url: string): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--worker', crawler, '--url', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${crawler} worker exited with ${code}: ${out}`));
      else resolve(JSON.parse(line) as WorkerResult);
    });
  });
}

async function ragline(url: string, concurrency: number): Promise<number> {
  // Politeness off: no delay, no per-minute cap, no retries' backoff matters on a healthy site.
  const pages = crawl(url, { allowPrivateNetwork: true, maxPages: 1_000_000, concurrency });
  let n = 0;
  for await (const _page of pages) n++;
  return n;
}

async function crawlee(url: string): Promise<number> {
  const storage = await mkdtemp(path.join(os.tmpdir(), 'crawlee-bench-'));
  process.env.CRAWLEE_STORAGE_DIR = storage;
  const { CheerioCrawler, Configuration, log } = await import('@crawlee/cheerio');
  log.setLevel(log.LEVELS.OFF);
  let n = 0;
  const crawler = new CheerioCrawler(
    {
      // Its defaults otherwise; only the page limit is lifted (the default is unlimited too).
      async requestHandler({ enqueueLinks }) {
        n++;
        await enqueueLinks();
      },
    },
    new Configuration({ storageClientOptions: { localDataDirectory: storage } }),
  );
  await crawler.run([url]);
  await rm(storage, { recursive: true, force: true });
  return n;
}

async function worker(name: string, url: string): Promise<void> {
  const started = performance.now();
  const pages = name === 'crawlee' ? await crawlee(url) : await ragline(url, Number(name.split(':')[1] ?? 8));
  const ms = performance.now() - started;
  const result: WorkerResult = { crawler: name, pages, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      worker: { type: 'string' },
      url: { type: 'string' },
      pages: { type: 'string', default: '3000' },
      rounds: { type: 'string', default: '1' },
    },
  });
  if (values.worker) {
    await worker(values.worker, values.url!);
    return;
  }
  const sites: Array<{ name: string; root: string; expected: string; cleanup?: () => Promise<void> }> = [];
  const generated = await mkdtemp(path.join(os.tmpdir(), 'ragline-crawl-bench-'));
  const linked = await generateSite(generated, Number(values.pages));
  sites.push({ name: `generated (${linked} linked pages + 1 sitemap-only)`, root: generated, expected: `${linked + 1}`, cleanup: () => rm(generated, { recursive: true, force: true }) });
  const drf = corpusPath('drf-docs');
  if (existsSync(drf)) sites.push({ name: 'drf-docs (68 linked pages + 1 sitemap-only)', root: drf, expected: '69' });
  else console.log(`drf-docs not found at ${drf}: skipped.`);

  console.log(`Crawler benchmark · node ${process.version} · ${os.cpus().length} CPUs · politeness off · loopback`);
  for (const site of sites) {
    const server = await serveStatic(site.root);
    try {
      console.log(`\n${site.name}`);
      for (let round = 0; round < Number(values.rounds); round++) {
        for (const crawler of ['ragline:8', 'ragline:32', 'crawlee']) {
          const r = await runWorker(crawler, server.url);
          const perMinute = (r.pages / r.ms) * 60_000;
          console.log(
            `  ${crawler.padEnd(11)} ${String(r.pages).padStart(6)} pages in ${(r.ms / 1000).toFixed(2).padStart(6)} s = ${Math.round(perMinute).toLocaleString('en-US').padStart(8)} pages/min · peak RSS ${r.maxRssMb.toFixed(0)} MB`,
          );
        }
      }
    } finally {
      await server.close();
      await site.cleanup?.();
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
