import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { ingest } from '../src/core/ingest.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { batchBy } from '../src/iter/batch-by.js';

const PAGES = 8;

/** A chain of pages: each links to the next, so a crawl with a delay fetches them one by one. */
async function writeChain(dir: string): Promise<void> {
  for (let i = 0; i < PAGES; i++) {
    const next = i + 1 < PAGES ? `<a href="/p${i + 1}.html">next</a>` : '';
    const html = `<html><head><title>Page ${i}</title></head><body><main><h1>Page ${i}</h1><p>Wombats of burrow ${i} dig at night and sleep by day. ${'They eat grasses and roots. '.repeat(5)}</p>${next}</main></body></html>`;
    await writeFile(path.join(dir, i === 0 ? 'index.html' : `p${i}.html`), html);
  }
}

describe('a slow source is stored as it is crawled', () => {
  let db: Database & { drop(): Promise<void> };
  let dir: string;
  let site: StaticServer;
  beforeAll(async () => {
    db = await freshDatabase('pglite');
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-slow-'));
    await writeChain(dir);
    site = await serveStatic(dir);
  });
  afterAll(async () => {
    await site?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('with a crawl delay, pages are in the store before the crawl has fetched the last one', async () => {
    let fetched = 0;
    let storedWhileCrawling = 0;
    let done = false;
    const poll = (async () => {
      while (!done) {
        const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM documents');
        if (fetched < PAGES) storedWhileCrawling = Math.max(storedWhileCrawling, rows[0]!.n);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      const summary = await ingest({
        db,
        source: site.url,
        collection: 'slow',
        embedding: createLexicalEmbedding({ dimensions: 64 }),
        crawl: { allowPrivateNetwork: true, delayMs: 400, sitemaps: false },
        embed: { maxWaitMs: 100 },
        onCrawlEvent: (e) => {
          if (e.type === 'page') fetched++;
        },
      });
      expect(summary.documents).toBe(PAGES);
    } finally {
      done = true;
      await poll;
    }
    expect(storedWhileCrawling).toBeGreaterThan(0);
  });
});

describe('batchBy with maxWaitMs', () => {
  test('a partial batch goes out when the source is slow, and a fast source still fills whole batches', async () => {
    async function* slow(): AsyncGenerator<number> {
      for (let i = 0; i < 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, i === 2 ? 300 : 0));
        yield i;
      }
    }
    const batches: number[][] = [];
    for await (const b of batchBy(slow(), { maxWeight: 10, weight: () => 1, maxWaitMs: 50 })) batches.push(b);
    expect(batches).toEqual([[0, 1], [2, 3]]);

    async function* fast(): AsyncGenerator<number> {
      for (let i = 0; i < 7; i++) yield i;
    }
    const whole: number[][] = [];
    for await (const b of batchBy(fast(), { maxWeight: 3, weight: () => 1, maxWaitMs: 50 })) whole.push(b);
    expect(whole).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });
});
