/**
 * Optional: the documentation corpora of ../shared/corpora (see its README) served on loopback,
 * ingested twice through the website Q&A pipeline on both stores. Skipped, with the reason, when a
 * corpus is absent.
 *
 * drf-docs is a mirror of production: its sitemap and every `<link rel=canonical>` name
 * https://www.django-rest-framework.org/. The crawl must neither leave loopback nor drop pages
 * because of them: it finds the 68 pages reachable by links plus the one only the sitemap lists.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import { ingest } from '../src/index.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import type { Database } from '../src/store/database.js';
import { corpusPath } from './support/corpora.js';

const CORPORA = corpusPath();
const corpora: Array<{ name: string; start: string; pages?: number }> = [
  { name: 'drf-docs', start: '', pages: 69 },
  { name: 'lmfit-docs', start: 'index.html' },
];

for (const corpus of corpora) {
  const root = path.join(CORPORA, corpus.name);
  if (!existsSync(path.join(root, corpus.start || 'index.html'))) {
    console.log(`Skipping the ${corpus.name} ingest tests: ${root} is absent (the corpora are optional).`);
    describe.skip(`ingest of ${corpus.name} — skipped: ${root} is absent`, () => test.todo('needs the corpus'));
    continue;
  }
  describeEachDatabase(`ingest of the ${corpus.name} corpus on loopback`, (backend) => {
    let db: Database & { drop(): Promise<void> };
    let site: StaticServer;
    const embedding = createLexicalEmbedding();
    const run = () => ingest({ db, source: `${site.url}${corpus.start}`, collection: corpus.name, embedding, crawl: { allowPrivateNetwork: true } });
    beforeAll(async () => {
      [db, site] = await Promise.all([freshDatabase(backend), serveStatic(root)]);
    });
    afterAll(async () => {
      await Promise.all([db?.drop(), site?.close()]);
    });

    test('the first ingest stores every page, all on the loopback host', async () => {
      const summary = await run();
      if (corpus.pages !== undefined) expect(summary.documents).toBe(corpus.pages);
      expect(summary.new).toBe(summary.documents);
      const { rows } = await db.pool.query<{ source: string }>('SELECT source FROM documents');
      expect(rows.length).toBe(summary.documents);
      for (const { source } of rows) expect(source.startsWith(site.url)).toBe(true);
      if (corpus.name === 'drf-docs') expect(rows.map((r) => r.source)).toContain(`${site.url}topics/writable-nested-serializers/`);
    }, 120_000);

    test('a second ingest reports every page unchanged and embeds nothing', async () => {
      const before = (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM documents')).rows[0]!.n;
      const summary = await run();
      expect(summary).toMatchObject({ documents: before, new: 0, changed: 0, unchanged: before, removed: 0, embeddedChunks: 0, embeddedTokens: 0 });
    }, 120_000);
  });
}
