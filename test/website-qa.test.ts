/**
 * The website Q&A pipeline end to end: a real documentation site served on loopback, the OpenAI
 * stand-in over HTTP, and a real database — embedded and server.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { ingest, search, ask, askStream, type AskEvent } from '../src/index.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { createExtractiveChat, DONT_KNOW } from '../src/models/local/extractive-chat.js';
import { packageRoot } from '../src/package-root.js';
import type { Database } from '../src/store/database.js';
import { getCollection } from '../src/store/collections.js';
import { ConfigError, FetchError } from '../src/errors.js';

const questions = [
  { q: 'With the default settings, how many times is a failing job retried?', page: 'guide/retries/' },
  { q: 'How do I schedule a cron job in a specific time zone?', page: 'guide/scheduling/' },
  { q: 'How do I re-run jobs from the dead-letter queue?', page: 'guide/dead-letter-queues/' },
  { q: 'Which Prometheus metrics does Tidewater export?', page: 'guide/monitoring/' },
  { q: 'How do I upgrade from version 2 to 3?', page: 'guide/upgrading/' },
];

describeEachDatabase('website Q&A pipeline', (backend) => {
  let db: Database & { drop(): Promise<void> };
  let standIn: OpenAIStandIn;
  let site: StaticServer;
  let siteDir: string;
  const embeddingCalls = () => standIn.requests.filter((r) => r.path === '/v1/embeddings');
  const embedding = () => createOpenAIEmbedding({ apiKey: 'test', baseURL: standIn.url, maxRetries: 0 });
  const ingestSite = () => ingest({ db, source: site.url, collection: 'docs', embedding: embedding(), crawl: { allowPrivateNetwork: true } });

  beforeAll(async () => {
    siteDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-site-'));
    await cp(path.join(packageRoot(), 'demo-site'), siteDir, { recursive: true });
    [db, standIn, site] = await Promise.all([freshDatabase(backend), startOpenAIStandIn(), serveStatic(siteDir)]);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), standIn?.close(), site?.close()]);
    await rm(siteDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    standIn.requests.length = 0;
  });

  test('ingests every page of the site into chunks with vectors', async () => {
    const summary = await ingestSite();
    expect(summary).toMatchObject({ documents: 16, new: 16, changed: 0, unchanged: 0, cachedChunks: 0 });
    expect(summary.chunks).toBeGreaterThan(60);
    expect(summary.embeddedChunks).toBe(summary.chunks);
    expect(summary.skipped).toEqual({ status: 2 }); // the site links a missing .pdf and .zip
    const { rows } = await db.pool.query<{ n: number; pages: number; max: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT document_id)::int AS pages, max(token_count)::int AS max FROM chunks`,
    );
    expect(rows[0]).toEqual({ n: summary.chunks, pages: 16, max: expect.any(Number) });
    expect(rows[0]!.max).toBeLessThanOrEqual(500);
    // Every page was fetched once, the embeddings went out in few, full requests.
    for (const [p, hits] of site.hits) if (!p.endsWith('.pdf') && !p.endsWith('.zip')) expect([p, hits]).toEqual([p, 1]);
    expect(embeddingCalls().length).toBeLessThanOrEqual(Math.ceil(summary.chunks / 512) + 3);
  });

  test('a second ingest of the unchanged site embeds nothing and leaves one copy of everything', async () => {
    const before = await db.pool.query('SELECT id, text_hash FROM chunks ORDER BY id');
    const summary = await ingestSite();
    expect(summary).toMatchObject({ documents: 16, new: 0, changed: 0, unchanged: 16, chunks: 0, embeddedTokens: 0 });
    expect(embeddingCalls()).toHaveLength(0);
    const after = await db.pool.query('SELECT id, text_hash FROM chunks ORDER BY id');
    expect(after.rows).toEqual(before.rows);
  });

  test('a changed page is re-chunked, and only its changed chunks are embedded', async () => {
    const file = path.join(siteDir, 'guide', 'retries', 'index.html');
    const html = await readFile(file, 'utf8');
    await writeFile(file, html.replace('</article>', '<p>Zanzibar note: retries never run on public holidays in the test fixture.</p></article>'));
    const pageChunks = (await db.pool.query(`SELECT chunk_count FROM documents WHERE source = $1`, [`${site.url}guide/retries/`])).rows[0].chunk_count;
    const summary = await ingestSite();
    expect(summary).toMatchObject({ new: 0, changed: 1, unchanged: 15 });
    const sent = embeddingCalls().flatMap((r) => (r.body as { input: string[] }).input);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.length).toBeLessThan(pageChunks);
    expect(sent.some((t) => t.includes('Zanzibar'))).toBe(true);
    const hits = await search({ db, collection: 'docs', query: 'Zanzibar public holidays', k: 1, connection: { apiKey: 'test', baseURL: standIn.url } });
    expect(hits[0]!.url).toBe(`${site.url}guide/retries/`);
  });

  test('search puts the page that answers in the top 5', async () => {
    for (const { q, page } of questions) {
      const results = await search({ db, collection: 'docs', query: q, k: 5, connection: { apiKey: 'test', baseURL: standIn.url } });
      expect(results).toHaveLength(5);
      expect([q, results.map((r) => r.url)]).toEqual([q, expect.arrayContaining([`${site.url}${page}`])]);
      for (const r of results) expect(r).toEqual(expect.objectContaining({ url: expect.any(String), score: expect.any(Number), text: expect.any(String), title: expect.any(String) }));
    }
  });

  test('an answer streams its sources first, and the model sees them as numbered, delimited data', async () => {
    const chat = createOpenAIChat({ model: 'gpt-4', apiKey: 'test', baseURL: standIn.url, maxRetries: 0 });
    const events: AskEvent[] = [];
    for await (const e of askStream({ db, collection: 'docs', question: questions[0]!.q, chat, connection: { apiKey: 'test', baseURL: standIn.url } })) events.push(e);
    expect(events[0]!.type).toBe('sources');
    expect(events.filter((e) => e.type === 'text').length).toBeGreaterThan(1);
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    if (done.type !== 'done') return;
    expect(done.answer.startsWith('Stand-in reply:')).toBe(true);
    expect(done.sources.length).toBeGreaterThan(0);
    const request = standIn.requests.find((r) => r.path === '/v1/chat/completions')!;
    expect(request.status).toBe(200);
    const body = request.body as { messages: Array<{ role: string; content: string }>; max_tokens: number };
    expect(body.messages[0]!.role).toBe('system');
    expect(body.messages[1]!.content).toMatch(/^Sources:\n\n<source id="1" url="http:\/\/127\.0\.0\.1:\d+\/[^"]*" title="[^"]+">/);
    expect(body.messages[1]!.content.endsWith(`Question: ${questions[0]!.q}`)).toBe(true);
    expect(done.promptTokens + body.max_tokens).toBeLessThanOrEqual(8192);
  });

  test('the offline models answer from the site with citations, or say they do not know', async () => {
    await ingest({ db, source: site.url, collection: 'offline', embedding: createLexicalEmbedding(), crawl: { allowPrivateNetwork: true } });
    const chat = createExtractiveChat();
    const answered = await ask({ db, collection: 'offline', question: 'Which databases other than PostgreSQL are supported?', chat });
    expect(answered.answer).toMatch(/\[\d\]/);
    expect(answered.sources.some((s) => s.cited)).toBe(true);
    const unknown = await ask({ db, collection: 'offline', question: 'What is the capital of Mongolia?', chat });
    expect(unknown.answer).toBe(DONT_KNOW);
  });

  test('a missing collection is one clear error naming what exists', async () => {
    await expect(search({ db, collection: 'nope', query: 'x' })).rejects.toThrow(ConfigError);
    await expect(search({ db, collection: 'nope', query: 'x' })).rejects.toThrow(/No collection named "nope" \(there are: .*docs.*\): ingest something into it first/);
  });

  test('a loopback site is refused without --allow-private-network, and nothing is stored, not even the collection', async () => {
    const before = (await db.pool.query('SELECT count(*)::int AS n FROM documents')).rows[0].n;
    await expect(ingest({ db, source: site.url, collection: 'refused', embedding: embedding() })).rejects.toThrow(FetchError);
    await expect(ingest({ db, source: site.url, collection: 'refused', embedding: embedding() })).rejects.toThrow(/Pass `allowPrivateNetwork: true`/);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM documents')).rows[0].n).toBe(before);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM collections WHERE name = 'refused'`)).rows[0].n).toBe(0);
  });

  describe('metadata and HNSW settings', () => {
    let dirs: { api: string; cli: string };
    const connection = () => ({ apiKey: 'test', baseURL: standIn.url });
    const chunkMetadata = async (collection: string) =>
      (
        await db.pool.query<{ source: string; metadata: Record<string, unknown> }>(
          'SELECT d.source, k.metadata FROM chunks k JOIN documents d ON d.id = k.document_id JOIN collections c ON c.id = k.collection_id WHERE c.name = $1 ORDER BY d.source, k.ordinal',
          [collection],
        )
      ).rows;

    beforeAll(async () => {
      const root = await mkdtemp(path.join(os.tmpdir(), 'ragline-tagged-'));
      dirs = { api: path.join(root, 'api'), cli: path.join(root, 'cli') };
      await mkdir(dirs.api);
      await mkdir(dirs.cli);
      await writeFile(path.join(dirs.api, 'quotas.md'), '# API quotas\n\nThe Wombat API allows 600 requests per minute per key; a 429 says when to retry.\n');
      await writeFile(path.join(dirs.api, 'keys.md'), '# API keys\n\nWombat API keys are created in the console and rotated every 90 days.\n');
      await writeFile(path.join(dirs.cli, 'quotas.md'), '# CLI quotas\n\nThe Wombat CLI uploads at most 20 files per minute and retries a refused upload.\n');
    });
    afterAll(async () => {
      await rm(path.dirname(dirs.api), { recursive: true, force: true });
    });

    test('ingest metadata tags every chunk of its source, and search and ask filter on it', async () => {
      await ingest({ db, source: dirs.api, collection: 'tagged', embedding: embedding(), metadata: { product: 'api', version: '3.14' } });
      await ingest({ db, source: dirs.cli, collection: 'tagged', embedding: embedding(), metadata: { product: 'cli', platforms: ['linux', 'mac'] } });
      const stored = await chunkMetadata('tagged');
      expect(stored.length).toBeGreaterThanOrEqual(3);
      for (const { source, metadata } of stored) {
        expect(metadata).toEqual(source.includes('/api/') ? { product: 'api', version: '3.14' } : { product: 'cli', platforms: ['linux', 'mac'] });
      }

      const query = 'Wombat requests per minute quota';
      const all = await search({ db, collection: 'tagged', query, k: 10, connection: connection() });
      expect(new Set(all.map((r) => r.metadata.product))).toEqual(new Set(['api', 'cli']));
      const cli = await search({ db, collection: 'tagged', query, k: 10, filter: { product: 'cli' }, efSearch: 100, connection: connection() });
      expect(cli.length).toBeGreaterThan(0);
      expect(cli.every((r) => r.url.includes('/cli/') && r.metadata.product === 'cli')).toBe(true);
      // Containment: one element of an array matches; a key no chunk has matches nothing.
      expect((await search({ db, collection: 'tagged', query, filter: { platforms: ['mac'] }, connection: connection() })).every((r) => r.url.includes('/cli/'))).toBe(true);
      expect(await search({ db, collection: 'tagged', query, filter: { product: 'web' }, connection: connection() })).toEqual([]);

      const chat = createExtractiveChat();
      const answered = await ask({ db, collection: 'tagged', question: 'How many requests per minute does Wombat allow?', chat, filter: { product: 'api' }, connection: connection() });
      expect(answered.sources.length).toBeGreaterThan(0);
      expect(answered.sources.every((s) => s.url.includes('/api/'))).toBe(true);
      const events: AskEvent[] = [];
      for await (const e of askStream({ db, collection: 'tagged', question: 'How many files per minute?', chat, filter: { product: 'cli' }, efSearch: 10, connection: connection() })) events.push(e);
      const sources = events.find((e) => e.type === 'sources');
      expect(sources?.type === 'sources' && sources.sources.length > 0 && sources.sources.every((x) => x.url.includes('/cli/'))).toBe(true);
    });

    test('re-ingesting unchanged pages with other metadata rewrites their metadata without embedding again; the same metadata changes nothing', async () => {
      const retag = await ingest({ db, source: dirs.api, collection: 'tagged', embedding: embedding(), metadata: { version: '3.15', product: 'api' } });
      expect(retag).toMatchObject({ documents: 2, changed: 2, unchanged: 0, embeddedTokens: 0 });
      expect(embeddingCalls()).toHaveLength(0);
      const api = (await chunkMetadata('tagged')).filter((r) => r.source.includes('/api/'));
      expect(api.every((r) => r.metadata.version === '3.15')).toBe(true);
      // Keys in another order are the same metadata.
      const same = await ingest({ db, source: dirs.api, collection: 'tagged', embedding: embedding(), metadata: { product: 'api', version: '3.15' } });
      expect(same).toMatchObject({ documents: 2, changed: 0, unchanged: 2 });
      // A dry run tells the same story as a run.
      const dry = await ingest({ db, source: dirs.api, collection: 'tagged', embedding: embedding(), metadata: { product: 'api' }, dryRun: true });
      expect(dry).toMatchObject({ changed: 2, unchanged: 0, embeddedTokens: 0 });
      // The last ingest's metadata wins: without any, the tags are gone.
      expect(await ingest({ db, source: dirs.api, collection: 'tagged', embedding: embedding() })).toMatchObject({ changed: 2, embeddedTokens: 0 });
      expect((await chunkMetadata('tagged')).filter((r) => r.source.includes('/api/')).every((r) => Object.keys(r.metadata).length === 0)).toBe(true);
    });

    test('a re-crawl with other metadata fetches pages whole (a 304 would keep the old tags) and retags them all', async () => {
      const crawlTagged = (metadata: Record<string, unknown>) => ingest({ db, source: site.url, collection: 'crawl-tagged', embedding: embedding(), crawl: { allowPrivateNetwork: true }, metadata });
      const first = await crawlTagged({ site: 'tidewater', release: 1 });
      expect(first.new).toBe(16);
      const second = await crawlTagged({ site: 'tidewater', release: 2 });
      expect(second).toMatchObject({ documents: 16, changed: 16, unchanged: 0, embeddedTokens: 0 });
      const rows = await chunkMetadata('crawl-tagged');
      expect(rows.length).toBe(first.chunks);
      expect(rows.every((r) => r.metadata.release === 2)).toBe(true);
      expect(await crawlTagged({ site: 'tidewater', release: 2 })).toMatchObject({ documents: 16, changed: 0, unchanged: 16 });
    });

    test('a collection created by an ingest gets its HNSW settings; an existing one keeps its own', async () => {
      await ingest({ db, source: dirs.cli, collection: 'tuned', embedding: embedding(), index: { m: 8, efConstruction: 32, efSearch: 64 } });
      expect((await getCollection(db.pool, 'tuned'))!.index).toEqual({ m: 8, efConstruction: 32, efSearch: 64 });
      await ingest({ db, source: dirs.api, collection: 'tuned', embedding: embedding(), index: { m: 24 } });
      expect((await getCollection(db.pool, 'tuned'))!.index).toEqual({ m: 8, efConstruction: 32, efSearch: 64 });
    });

    test('bad metadata, filters and settings are refused before anything is stored or embedded', async () => {
      await expect(ingest({ db, source: dirs.api, collection: 'refused-meta', embedding: embedding(), metadata: ['api'] as unknown as Record<string, unknown> })).rejects.toThrow(
        /Expected `metadata` to be an object of JSON values/,
      );
      await expect(ingest({ db, source: dirs.api, collection: 'refused-meta', embedding: embedding(), metadata: { at: new Date() } })).rejects.toThrow(/`metadata\.at` to be a JSON value/);
      await expect(ingest({ db, source: dirs.api, collection: 'refused-meta', embedding: embedding(), index: { m: 1 } })).rejects.toThrow(/`m` to be an integer from 2 to 100/);
      expect(await getCollection(db.pool, 'refused-meta')).toBeUndefined();
      await expect(search({ db, collection: 'tagged', query: 'Wombat', filter: 'api' as unknown as Record<string, unknown>, connection: connection() })).rejects.toThrow(ConfigError);
      await expect(search({ db, collection: 'tagged', query: 'Wombat', efSearch: 0, connection: connection() })).rejects.toThrow(/`efSearch` to be an integer from 1 to 1000/);
      expect(embeddingCalls()).toHaveLength(0);
    });
  });

  test('a folder of Markdown and text files is ingested like a site', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-md-'));
    await writeFile(path.join(dir, 'guide.md'), '# Guide\n\n## Tuning\n\nSet `poolSize` to twice the core count for the Quokka engine.\n');
    await writeFile(path.join(dir, 'notes.txt'), 'Quokka logs go to /var/log/quokka by default.\n');
    const summary = await ingest({ db, source: dir, collection: 'files', embedding: createLexicalEmbedding() });
    expect(summary).toMatchObject({ documents: 2, new: 2 });
    const results = await search({ db, collection: 'files', query: 'Quokka engine pool size tuning', k: 1 });
    expect(results[0]).toMatchObject({ headingPath: ['Guide', 'Tuning'], title: 'Guide' });
    expect(results[0]!.url).toMatch(/^file:\/\/.*guide\.md$/);
    await rm(dir, { recursive: true, force: true });
  });
});
