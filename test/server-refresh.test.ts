/**
 * Refresh while serving, on the embedded store (single-process: only the server can write to it):
 * `serve --refresh-every` re-crawls a live loopback site incrementally, so an edited page is
 * searchable through /api/search after a refresh; `POST /api/collections/{name}/refresh` starts
 * one now (admin key when keys are set; 409 while one runs) and `GET /api/collections/{name}`
 * shows its state and summary.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase, serverUrl } from './support/databases.js';
import { postJson } from './support/server-fixture.js';
import { waitFor } from './support/wait-for.js';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { ingest } from '../src/index.js';
import { openAIClient } from '../src/models/openai/client.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { packageRoot } from '../src/package-root.js';
import { startServer } from '../src/server/server.js';
import { runCli } from '../src/cli/program.js';
import { runCliInProcess } from './support/cli.js';
import { parseDuration } from '../src/options/duration.js';
import { ConfigError } from '../src/errors.js';

type Status = { refresh: { refreshable: boolean; state: string; lastFinishedAt?: string; nextAt?: string; last?: Array<{ source: string; summary?: { changed: number; unchanged: number; embeddedChunks: number }; error?: string }> } };

/** A site in front of `site` that holds every request until `open()`: a refresh can be caught running. */
async function gatedProxy(site: StaticServer) {
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  const server = http.createServer((req, res) => {
    void gate.then(async () => {
      const headers: Record<string, string> = {};
      for (const h of ['if-none-match', 'if-modified-since', 'user-agent'] as const) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
      const r = await fetch(new URL(req.url ?? '/', site.url), { headers, redirect: 'manual' });
      const out: Record<string, string> = {};
      for (const h of ['content-type', 'etag', 'last-modified', 'location']) if (r.headers.get(h)) out[h] = r.headers.get(h)!;
      res.writeHead(r.status, out).end(Buffer.from(await r.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    hold: () => (gate = new Promise<void>((resolve) => (release = resolve))),
    open: () => release(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('refresh while serving (embedded store)', () => {
  let siteDir: string;
  let notesDir: string;
  let site: StaticServer;
  let proxy: Awaited<ReturnType<typeof gatedProxy>>;
  let standIn: OpenAIStandIn;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  const page = () => path.join(siteDir, 'guide', 'retries', 'index.html');

  beforeAll(async () => {
    siteDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-refresh-site-'));
    notesDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-refresh-notes-'));
    await cp(path.join(packageRoot(), 'demo-site'), siteDir, { recursive: true });
    await writeFile(path.join(notesDir, 'notes.md'), '# Notes\n\nA folder collection has no site to re-crawl.\n');
    [db, standIn, site] = await Promise.all([freshDatabase('pglite'), startOpenAIStandIn(), serveStatic(siteDir)]);
    proxy = await gatedProxy(site);
    const embedding = createOpenAIEmbedding({ client: await openAIClient({ apiKey: 'sk-test', baseURL: standIn.url, maxRetries: 0 }) });
    await ingest({ db, source: proxy.url, collection: 'docs', embedding, crawl: { allowPrivateNetwork: true } });
    await ingest({ db, source: notesDir, collection: 'notes', embedding });
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all([db?.drop(), standIn?.close(), site?.close()]);
    await rm(siteDir, { recursive: true, force: true });
    await rm(notesDir, { recursive: true, force: true });
  });

  test('durations are parsed by one helper, with a clear error', () => {
    expect([parseDuration('refreshEvery', '30s'), parseDuration('refreshEvery', '10m'), parseDuration('refreshEvery', '1h'), parseDuration('refreshEvery', '1h30m')]).toEqual([30_000, 600_000, 3_600_000, 5_400_000]);
    expect(() => parseDuration('refreshEvery', '10')).toThrow(new ConfigError('refreshEvery', '10', 'Expected `refreshEvery` to be a duration like 30s, 10m, 1h or 1h30m, got `10` (string).'));
    expect(() => parseDuration('refreshEvery', '10 parsecs')).toThrow(ConfigError);
  });

  test('`serve --refresh-every` refuses a duration without a unit, in one line naming the flag', async () => {
    const { code, stderr } = await runCliInProcess(['serve', '--refresh-every', '10'], { database: db });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual(['ragline: Expected --refresh-every to be a duration like 30s, 10m, 1h or 1h30m, got `10` (string).']);
  });

  test('`serve --refresh-every` makes an edited page searchable through /api/search', async () => {
    const controller = new AbortController();
    let stderr = '';
    const done = runCli(['serve', '--port', '0', '--refresh-every', '1s', '--allow-private-network', '--rate-limit', '100000', '--collection', 'docs'], {
      stdout: { write: () => undefined },
      stderr: { write: (text: string) => (stderr += text) },
      env: { PATH: process.env.PATH, HOME: process.env.HOME, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: standIn.url },
      database: db,
      signal: controller.signal,
    });
    try {
      const base = await waitFor(() => /Serving on (http:\S+)\//.exec(stderr)?.[1], { what: 'the server to start' });
      expect(stderr).toMatch(/^Refresh: every crawled collection served is re-crawled every 1s\.$/m);
      const marker = 'quokkabanana';
      const search = async () => {
        const r = await postJson(`${base}/api/search`, { query: `${marker} retry policy`, collection: 'docs' });
        if (!r.ok) throw new Error(`search: ${r.status} ${await r.text()}`);
        const { results } = (await r.json()) as { results: Array<{ text: string }> };
        return results.some((x) => x.text.includes(marker));
      };
      expect(await search()).toBe(false);
      const html = await readFile(page(), 'utf8');
      await writeFile(page(), html.replace('</article>', `<p>The ${marker} retry policy waits for a full moon between attempts.</p></article>`));
      await waitFor(search, { what: 'the edited page to be searchable', timeoutMs: 30_000, intervalMs: 200 });
      const status = (await (await fetch(`${base}/api/collections/docs`)).json()) as Status;
      expect(status.refresh.refreshable).toBe(true);
      expect(status.refresh.nextAt).toEqual(expect.any(String));
      expect(stderr).toMatch(/^Refreshed "docs" from http:\/\/127\.0\.0\.1:\d+\/: \d+ new, \d+ changed, \d+ unchanged/m);
      // Incremental: the later refreshes find nothing changed and embed nothing.
      const quiet = await waitFor(async () => {
        const s = (await (await fetch(`${base}/api/collections/docs`)).json()) as Status;
        const summary = s.refresh.last?.[0]?.summary;
        return summary && summary.changed === 0 && summary.unchanged > 0 ? summary : undefined;
      }, { what: 'a refresh that finds nothing changed', timeoutMs: 60_000, intervalMs: 200 });
      expect(quiet.embeddedChunks).toBe(0);
    } finally {
      controller.abort();
      expect(await done).toBe(0);
    }
  });

  test('POST /api/collections/{name}/refresh needs an admin key when keys are set, and runs one refresh at a time', async () => {
    const client = await openAIClient({ apiKey: 'sk-test', baseURL: standIn.url, maxRetries: 0 });
    const apiKey = 'user-key-0123456789abcdef';
    const adminKey = 'admin-key-0123456789abcdef';
    const server = await startServer({ db, chat: createOpenAIChat({ client }), connection: { client }, apiKeys: [apiKey], adminKeys: [adminKey], refresh: { ingest: { crawl: { allowPrivateNetwork: true } } } });
    const refresh = (key?: string, name = 'docs') => fetch(`${server.url}/api/collections/${name}/refresh`, { method: 'POST', headers: key ? { authorization: `Bearer ${key}` } : {} });
    const status = async () => (await (await fetch(`${server.url}/api/collections/docs`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as Status;
    try {
      expect((await refresh()).status).toBe(401);
      const plain = await refresh(apiKey);
      expect(plain.status).toBe(403);
      expect(((await plain.json()) as { error: { message: string } }).error.message).toBe('This action needs an admin key: send an admin key.');
      expect((await refresh(adminKey, 'notes')).status).toBe(400);

      proxy.hold();
      const [first, second] = await Promise.all([refresh(adminKey), refresh(adminKey)]);
      expect([first.status, second.status].sort()).toEqual([202, 409]);
      expect((await status()).refresh.state).toBe('running');
      expect((await refresh(adminKey)).status).toBe(409);
      // Questions are answered while the refresh runs (it is held at its first request).
      const searched = await postJson(`${server.url}/api/search`, { query: 'retries', collection: 'docs' }, { authorization: `Bearer ${apiKey}` });
      expect(searched.status).toBe(200);
      expect(((await searched.json()) as { results: unknown[] }).results.length).toBeGreaterThan(0);
      expect((await status()).refresh.state).toBe('running');
      proxy.open();
      const finished = await waitFor(async () => {
        const s = await status();
        return s.refresh.state === 'idle' && s.refresh.lastFinishedAt ? s : undefined;
      }, { what: 'the refresh to finish' });
      expect(finished.refresh.last).toEqual([{ source: proxy.url, summary: expect.objectContaining({ collection: 'docs', changed: 0 }) }]);
      // No schedule was asked for.
      expect(finished.refresh.nextAt).toBeUndefined();
    } finally {
      proxy.open();
      await server.close();
    }
  });
});

describe('refresh queued as jobs (Postgres)', () => {
  const withPostgres = serverUrl ? test : test.skip;

  withPostgres('POST /api/collections/{name}/refresh queues a site job for the workers, and refuses another while it is pending', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-refresh-jobs-'));
    await cp(path.join(packageRoot(), 'demo-site'), dir, { recursive: true });
    const [db, standIn, site] = await Promise.all([freshDatabase('postgres'), startOpenAIStandIn(), serveStatic(dir)]);
    const client = await openAIClient({ apiKey: 'sk-test', baseURL: standIn.url, maxRetries: 0 });
    const server = await (async () => {
      await ingest({ db, source: site.url, collection: 'docs', embedding: createOpenAIEmbedding({ client }), crawl: { allowPrivateNetwork: true } });
      return startServer({ db, chat: createOpenAIChat({ client }), connection: { client }, refresh: { jobs: { allowPrivateNetwork: true, maxPages: 50 } } });
    })();
    try {
      const refresh = () => fetch(`${server.url}/api/collections/docs/refresh`, { method: 'POST' });
      expect((await refresh()).status).toBe(202);
      const status = await waitFor(async () => {
        const s = (await (await fetch(`${server.url}/api/collections/docs`)).json()) as { refresh: { lastFinishedAt?: string; last?: Array<{ source: string; jobId?: number }> } };
        return s.refresh.lastFinishedAt ? s : undefined;
      }, { what: 'the refresh to be queued' });
      expect(status.refresh.last).toEqual([{ source: site.url, jobId: expect.any(Number) }]);
      const { rows } = await db.pool.query<{ kind: string; source: string; state: string; options: Record<string, unknown> }>('SELECT kind, source, state, options FROM jobs');
      expect(rows).toEqual([{ kind: 'site', source: site.url, state: 'queued', options: { allowPrivateNetwork: true, maxPages: 50 } }]);
      const again = await refresh();
      expect(again.status).toBe(409);
      expect(((await again.json()) as { error: { message: string } }).error.message).toBe('Jobs of "docs" are still queued or running: see `ragline jobs list`.');
    } finally {
      await server.close();
      await Promise.all([db.drop(), standIn.close(), site.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('is refused on the embedded store, which workers cannot open', async () => {
    const db = await freshDatabase('pglite');
    try {
      const { createExtractiveChat } = await import('../src/models/local/extractive-chat.js');
      await expect(startServer({ db, chat: createExtractiveChat(), refresh: { jobs: {} } })).rejects.toThrow(/queued as jobs only on a Postgres server/);
    } finally {
      await db.drop();
    }
  });
});
