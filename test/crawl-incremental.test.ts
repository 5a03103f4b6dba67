/**
 * Resume and incremental sync of website ingests, on both stores: a site on loopback that answers
 * conditional requests and lists pages in a sitemap with lastmod; the local lexical embedding
 * model (no network). The kill-and-resume test runs the built `ragline ingest` in a child process
 * and kills it with SIGKILL mid-crawl, then resumes it with the CLI in this process.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describeEachDatabase, freshDatabase, type Backend } from './support/databases.js';
import { ingest } from '../src/index.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { packageRoot } from '../src/package-root.js';
import { runCliInProcess } from './support/cli.js';
import { waitFor } from './support/wait-for.js';

interface SitePage {
  html: string;
  /** Send an ETag (and answer If-None-Match with 304). */
  etag?: boolean;
  /** Send Last-Modified (and answer If-Modified-Since with 304). */
  lastModified?: string;
  /** List in the sitemap with this lastmod. */
  lastmod?: string;
  /** Answer with this status instead. */
  status?: number;
}

interface Site {
  base: string;
  pages: Map<string, SitePage>;
  /** Page requests (not robots.txt or sitemap) by path. */
  hits: Map<string, number>;
  /** 304 answers by path. */
  notModified: Map<string, number>;
  /** Delay of every page answer, ms. */
  delayMs: number;
  /** A page that does not answer while set (the crawl stalls on it). */
  stallPath?: string;
  /** Called with each page path requested. */
  onRequest?: (path: string) => void;
  close(): Promise<void>;
}

const etagOf = (html: string) => `"${Buffer.from(html).toString('base64url').slice(-16)}-${html.length}"`;

async function startSite(): Promise<Site> {
  const site: Site = { base: '', pages: new Map(), hits: new Map(), notModified: new Map(), delayMs: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`User-agent: *\nAllow: /\nSitemap: ${site.base}/sitemap.xml\n`);
      return;
    }
    if (url.pathname === '/sitemap.xml') {
      const entries = [...site.pages].filter(([, p]) => p.lastmod !== undefined);
      res.writeHead(200, { 'content-type': 'application/xml' }).end(
        `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${entries
          .map(([p, page]) => `<url><loc>${site.base}${p}</loc><lastmod>${page.lastmod}</lastmod></url>`)
          .join('')}</urlset>`,
      );
      return;
    }
    site.hits.set(url.pathname, (site.hits.get(url.pathname) ?? 0) + 1);
    site.onRequest?.(url.pathname);
    if (url.pathname === site.stallPath) return; // never answers; closed with the server
    const answer = () => {
      const page = site.pages.get(url.pathname);
      if (page === undefined || page.status !== undefined) {
        res.writeHead(page?.status ?? 404, { 'content-type': 'text/html' }).end('<h1>Gone</h1>');
        return;
      }
      const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' };
      const etag = page.etag ? etagOf(page.html) : undefined;
      if (etag) headers['etag'] = etag;
      if (page.lastModified) headers['last-modified'] = page.lastModified;
      const fresh =
        (etag !== undefined && req.headers['if-none-match'] === etag) ||
        (etag === undefined && page.lastModified !== undefined && req.headers['if-modified-since'] === page.lastModified);
      if (fresh) {
        site.notModified.set(url.pathname, (site.notModified.get(url.pathname) ?? 0) + 1);
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, headers).end(page.html);
    };
    if (site.delayMs > 0) setTimeout(answer, site.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  site.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return site;
}

const doc = (title: string, body: string, links: string[] = []) =>
  `<!doctype html><html><head><title>${title}</title></head><body><main><h1>${title}</h1><p>${body}</p>${links
    .map((l) => `<a href="${l}">${l}</a>`)
    .join(' ')}</main></body></html>`;

const embedding = createLexicalEmbedding();

describeEachDatabase('incremental re-crawl', (backend) => {
  let db: Database & { drop(): Promise<void> };
  let site: Site;
  const run = () => ingest({ db, source: `${site.base}/`, collection: 'site', embedding, crawl: { allowPrivateNetwork: true, retries: 0 } });
  const sources = async () =>
    (await db.pool.query<{ source: string }>('SELECT source FROM documents ORDER BY source')).rows.map((r) => r.source.slice(site.base.length));

  beforeAll(async () => {
    [db, site] = await Promise.all([freshDatabase(backend), startSite()]);
    const home = ['/etag', '/modified', '/plain', '/doomed', '/orphan', '/hidden-later'];
    site.pages.set('/', { html: doc('Home', 'Welcome to the test site about lighthouses.', home) });
    site.pages.set('/etag', { html: doc('Etag page', 'Lighthouses with an entity tag.'), etag: true });
    site.pages.set('/modified', { html: doc('Modified page', 'Foghorns and their dates.'), lastModified: 'Mon, 01 Jun 2026 10:00:00 GMT' });
    site.pages.set('/plain', { html: doc('Plain page', 'No validators at all, compared by hash.') });
    site.pages.set('/doomed', { html: doc('Doomed page', 'This page will answer 404 later.'), etag: true });
    site.pages.set('/orphan', { html: doc('Orphan page', 'Soon no link and no sitemap will name this page.') });
    site.pages.set('/hidden-later', { html: doc('Hidden later', 'This page will say noindex.') });
    site.pages.set('/mapped', { html: doc('Sitemap page', 'Only the sitemap lists this page, with a lastmod.'), lastmod: '2026-05-01' });
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), site?.close()]);
  });
  beforeEach(() => {
    site.hits.clear();
    site.notModified.clear();
  });

  test('the first crawl stores every page, the sitemap-only one included', async () => {
    const summary = await run();
    expect(summary).toMatchObject({ documents: 8, new: 8, changed: 0, unchanged: 0, removed: 0, resumed: false });
    expect(await sources()).toEqual(['/', '/doomed', '/etag', '/hidden-later', '/mapped', '/modified', '/orphan', '/plain']);
  });

  test('a second crawl: conditional requests answer 304, an unchanged lastmod is not fetched, nothing is embedded', async () => {
    const summary = await run();
    expect(summary).toMatchObject({ documents: 8, new: 0, changed: 0, unchanged: 8, removed: 0, chunks: 0, embeddedChunks: 0, embeddedTokens: 0 });
    expect(site.notModified.get('/etag')).toBe(1);
    expect(site.notModified.get('/modified')).toBe(1);
    expect(site.hits.get('/mapped')).toBeUndefined();
    // Without validators the page is fetched, and its unchanged text skips the rest of the pipeline.
    expect(site.hits.get('/plain')).toBe(1);
  });

  test('after the site changes: changed and new pages are embedded, gone ones removed with their chunks', async () => {
    site.pages.set('/', { html: doc('Home', 'Welcome to the test site about lighthouses.', ['/etag', '/modified', '/plain', '/doomed', '/hidden-later', '/added']) });
    site.pages.set('/etag', { html: doc('Etag page', 'Lighthouses with an entity tag, now with a revised paragraph about lenses.'), etag: true });
    site.pages.set('/mapped', { html: doc('Sitemap page', 'The sitemap says this page changed.'), lastmod: '2026-06-02' });
    site.pages.set('/doomed', { html: '', status: 410 });
    site.pages.set('/hidden-later', { html: doc('Hidden later', 'This page will say noindex.').replace('<head>', '<head><meta name="robots" content="noindex">') });
    site.pages.set('/added', { html: doc('Added page', 'A page that did not exist before.') });
    const summary = await run();
    // New: /added. Changed: /, /etag, /mapped (new lastmod). Unchanged: /modified (304), /plain (same text).
    // Removed: /doomed (410), /hidden-later (noindex), /orphan (no longer linked or listed).
    expect(summary).toMatchObject({ new: 1, changed: 3, unchanged: 2, removed: 3 });
    expect(summary.embeddedChunks).toBeGreaterThan(0);
    expect(await sources()).toEqual(['/', '/added', '/etag', '/mapped', '/modified', '/plain']);
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.id = c.document_id)`,
    );
    expect(rows[0]!.n).toBe(0);
    const orphanChunks = await db.pool.query(`SELECT 1 FROM chunks WHERE text LIKE '%Soon no link%'`);
    expect(orphanChunks.rows).toHaveLength(0);
  });

  test('a crawl stopped by maxPages removes nothing it did not reach', async () => {
    site.pages.set('/', { html: doc('Home', 'Welcome to the test site about lighthouses, edited.', ['/etag', '/modified', '/plain', '/added']) });
    const summary = await ingest({ db, source: `${site.base}/`, collection: 'site', embedding, crawl: { allowPrivateNetwork: true, maxPages: 2 } });
    expect(summary.removed).toBe(0);
    expect(await sources()).toEqual(['/', '/added', '/etag', '/mapped', '/modified', '/plain']);
  });
});

// ---------------------------------------------------------------------------------------------

const bin = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

describeEachDatabase('kill and resume', (backend: Backend) => {
  // Small embedding batches (--embed-batch-size 16) and pages of ~20 chunks: pages reach the store
  // while the crawl still runs (the embed stage works a few windows ahead of the store).
  const PAGES = 60;
  let site: Site;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let dbUrl: string | undefined;
  let drop: (() => Promise<void>) | undefined;

  const open = () => (dbUrl ? openDatabase({ databaseUrl: dbUrl, maxConnections: 2 }) : openDatabase({ dataDir, databaseUrl: '' }));

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-resume-'));
    site = await startSite();
    const all = Array.from({ length: PAGES }, (_, i) => `/p${i + 1}`);
    site.pages.set('/', { html: doc('Index', 'The index of sixty pages about rivers.', all) });
    const text = (n: number) =>
      Array.from({ length: 20 }, (_, j) => `River number ${n} passes mill ${j} and bridge ${n * 100 + j} on its way through valley ${(n + j) % 7}.`).join(' ');
    all.forEach((p, i) => site.pages.set(p, { html: doc(`River ${i + 1}`, text(i + 1)) }));
    if (backend === 'postgres') {
      const db = await freshDatabase('postgres');
      await db.close();
      dbUrl = db.url;
      drop = db.drop;
      env = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url };
    } else {
      env = { PATH: process.env.PATH, HOME: process.env.HOME, RAGLINE_DATA_DIR: dataDir };
    }
  });
  afterAll(async () => {
    await site?.close();
    await drop?.().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  const ingestArgs = (collection: string) => ['ingest', `${site.base}/`, '--collection', collection, '--allow-private-network', '--concurrency', '1', '--chunk-tokens', '32', '--embed-batch-size', '16', '--json'];

  /** Pages marked done in the store (through a second connection: only the server allows one). */
  async function donePages(collection: string): Promise<number> {
    const db = await openDatabase({ databaseUrl: dbUrl!, maxConnections: 1 });
    try {
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM crawl_pages p JOIN collections c ON c.id = p.collection_id WHERE c.name = $1 AND p.state = 'done'`,
        [collection],
      );
      return rows[0]!.n;
    } catch {
      return 0; // tables not migrated yet
    } finally {
      await db.close();
    }
  }

  /** When the embedded database's write-ahead log was last written to (ms since the epoch; 0 before there is one). */
  async function lastWalWrite(): Promise<number> {
    const wal = path.join(dataDir, 'pg_wal');
    const files = await readdir(wal).catch(() => [] as string[]);
    const times = await Promise.all(files.map((f) => stat(path.join(wal, f)).then((s) => (s.isFile() ? s.mtimeMs : 0), () => 0)));
    return Math.max(0, ...times);
  }

  /**
   * Kill the child mid-crawl: once the crawl stalls on a page that never answers, and some pages
   * are stored. On the server the stored pages are counted; the embedded store cannot be opened
   * while the child holds it, so there the child's writes are watched instead: killed once it
   * has written since the stall and then stopped writing (it has stored all it can).
   */
  async function killMidCrawl(child: ReturnType<typeof spawn>, stalled: Promise<void>): Promise<void> {
    await stalled;
    const stalledAt = Date.now();
    let last = 0;
    let quietSince = stalledAt;
    const stored = dbUrl
      ? async () => (await donePages('resumed')) > 0
      : async () => {
          const written = await lastWalWrite();
          if (written !== last) [last, quietSince] = [written, Date.now()];
          return written > stalledAt && Date.now() - quietSince >= 1000;
        };
    // On a timeout the kill goes ahead: the test's checks of what was stored tell what went wrong.
    await waitFor(stored, { intervalMs: 50, timeoutMs: 30_000, what: 'pages stored before the stall' }).catch(() => undefined);
    child.kill('SIGKILL');
  }

  /** `ragline ingest` in a child process, killed mid-crawl once it stalls on the page `stallAt`. */
  function runKilled(args: string[], stallAt: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      site.stallPath = stallAt;
      const stalled = new Promise<void>((resolve) => (site.onRequest = (p) => p === stallAt && resolve()));
      void killMidCrawl(child, stalled);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        site.onRequest = undefined;
        site.stallPath = undefined;
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  test('a crawl killed with SIGKILL resumes without fetching finished pages, and ends as an uninterrupted run would', async () => {
    site.hits.clear();
    const killed = await runKilled(ingestArgs('resumed'), '/p40');
    expect(killed.signal).toBe('SIGKILL');

    // What the killed run had finished, according to the store.
    let db = await open();
    const finished = (
      await db.pool.query<{ url: string }>(
        `SELECT p.url FROM crawl_pages p JOIN collections c ON c.id = p.collection_id WHERE c.name = 'resumed' AND p.state = 'done'`,
      )
    ).rows.map((r) => new URL(r.url).pathname);
    await db.close();
    expect(finished.length).toBeGreaterThan(0);
    expect(finished.length).toBeLessThan(PAGES + 1);

    site.hits.clear();
    const resumed = await runCliInProcess(ingestArgs('resumed'), { env });
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout) as { resumed: boolean; documents: number };
    expect(summary.resumed).toBe(true);
    for (const p of finished) expect([p, site.hits.get(p) ?? 0]).toEqual([p, 0]);
    // Every page not finished before was fetched once now.
    for (const [p, n] of site.hits) expect([p, n]).toEqual([p, 1]);
    expect(site.hits.size + finished.length).toBe(PAGES + 1);

    const straight = await runCliInProcess(ingestArgs('straight'), { env });
    expect(straight.code).toBe(0);

    db = await open();
    try {
      const contents = async (name: string) =>
        (
          await db.pool.query<{ source: string; content_hash: string; chunk_count: number; hashes: string[] }>(
            `SELECT d.source, d.content_hash, d.chunk_count, array_agg(k.text_hash ORDER BY k.ordinal) AS hashes
               FROM documents d JOIN collections c ON c.id = d.collection_id JOIN chunks k ON k.document_id = d.id
              WHERE c.name = $1 GROUP BY d.id ORDER BY d.source`,
            [name],
          )
        ).rows;
      const a = await contents('resumed');
      expect(a).toHaveLength(PAGES + 1);
      expect(a).toEqual(await contents('straight'));
      const runs = await db.pool.query<{ status: string }>(
        `SELECT r.status FROM crawl_runs r JOIN collections c ON c.id = r.collection_id WHERE c.name = 'resumed'`,
      );
      expect(runs.rows).toEqual([{ status: 'finished' }]);
    } finally {
      await db.close();
    }
  }, 120_000);
});

describeEachDatabase('resume with other settings', (backend: Backend) => {
  let db: Database & { drop(): Promise<void> };
  let site: Site;
  const embedding = createLexicalEmbedding({ dimensions: 64 });
  beforeAll(async () => {
    db = await freshDatabase(backend);
    site = await startSite();
    const all = Array.from({ length: 8 }, (_, i) => `/r${i + 1}`);
    site.pages.set('/', { html: doc('Index', 'Eight pages about lakes.', all) });
    all.forEach((p, i) => site.pages.set(p, { html: doc(`Lake ${i + 1}`, `Lake ${i + 1} lies in valley ${i} and feeds river ${i * 3}. `.repeat(30)) }));
  });
  afterAll(async () => {
    await site?.close();
    await db?.drop();
  });

  test('an interrupted crawl resumed with other chunk settings fetches its finished pages again', async () => {
    const base = { db, source: `${site.base}/`, collection: 'lakes', embedding, crawl: { allowPrivateNetwork: true, concurrency: 1 } };
    // A failure half-way leaves the run unfinished, as a killed process would.
    await expect(
      ingest({
        ...base,
        onProgress: (p) => {
          if (p.documents >= 3) throw new Error('interrupted');
        },
      }),
    ).rejects.toThrow('interrupted');
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM crawl_pages WHERE state = 'done'`);
    expect(rows[0]!.n).toBeGreaterThanOrEqual(3);

    site.hits.clear();
    const resumed = await ingest({ ...base, chunk: { maxTokens: 64 } });
    expect(resumed.resumed).toBe(true);
    expect([...site.hits.keys()].sort()).toEqual(['/', ...Array.from({ length: 8 }, (_, i) => `/r${i + 1}`)].sort());
    const { rows: chunking } = await db.pool.query<{ chunking: string }>('SELECT DISTINCT chunking FROM documents');
    expect(chunking).toHaveLength(1);
    expect(chunking[0]!.chunking).toContain('max=64');
  });
});
