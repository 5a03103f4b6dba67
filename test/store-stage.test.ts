import { describeEachDatabase, freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { ensureCollection, type Collection } from '../src/store/collections.js';
import { store, type StoredDocument } from '../src/stages/store.js';
import { createLexicalEmbedding, lexicalVector } from '../src/models/local/lexical-embedding.js';
import type { EmbeddedDocument } from '../src/types.js';
import { embeddedChunkOf, embeddedDocument } from './support/builders.js';

const model = createLexicalEmbedding({ dimensions: 64 });

function page(url: string, texts: string[]): EmbeddedDocument {
  return embeddedDocument(url, texts.map((text, ordinal) => embeddedChunkOf(url, ordinal, text, lexicalVector(text, 64), { title: url, tokenCount: 2 })));
}

async function* fast(docs: EmbeddedDocument[]): AsyncGenerator<EmbeddedDocument> {
  yield* docs;
}

async function collect(it: AsyncIterable<StoredDocument>): Promise<StoredDocument[]> {
  const out: StoredDocument[] = [];
  for await (const d of it) out.push(d);
  return out;
}

describeEachDatabase('store stage', (backend) => {
  let db: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase(backend);
  });
  afterAll(async () => {
    await db?.drop();
  });

  let n = 0;
  const fresh = () => ensureCollection(db.pool, `stage-${++n}`, model);
  /** Documents of a collection grouped by the transaction that wrote them (rows of one share xmin). */
  const transactions = async (c: Collection) =>
    (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM documents WHERE collection_id = $1 GROUP BY xmin::text ORDER BY min(id)', [c.id])).rows.map((r) => r.n);

  test('documents that become ready while a write is in flight are written together', async () => {
    const c = await fresh();
    const docs = Array.from({ length: 30 }, (_, i) => page(`https://s.test/${i}`, [`text ${i}`, `more ${i}`]));
    const stored = await collect(store(fast(docs), { pool: db.pool, collection: c, chunking: 'x' }));
    expect(stored.map((d) => d.url)).toEqual(docs.map((d) => d.document.url));
    expect(stored.every((d) => d.outcome === 'new' && d.chunks === 2)).toBe(true);
    const groups = await transactions(c);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(30);
    expect(groups.length).toBeLessThan(30);
    expect(groups.length).toBeLessThanOrEqual(3);
  });

  test('a source slower than the store gets each document committed before the next arrives', async () => {
    const c = await fresh();
    const seen: string[] = [];
    let release: () => void = () => undefined;
    async function* slow(): AsyncGenerator<EmbeddedDocument> {
      for (let i = 0; i < 4; i++) {
        if (i > 0) await new Promise<void>((resolve) => (release = resolve));
        yield page(`https://s.test/slow-${i}`, [`slow ${i}`]);
      }
    }
    for await (const d of store(slow(), { pool: db.pool, collection: c, chunking: 'x' })) {
      seen.push(d.url);
      const { rows } = await db.pool.query('SELECT 1 FROM documents WHERE collection_id = $1 AND source = $2', [c.id, d.url]);
      expect(rows).toHaveLength(1); // yielded only once committed
      release();
    }
    expect(seen).toHaveLength(4);
    expect(await transactions(c)).toEqual([1, 1, 1, 1]);
  });

  test('a batch holds at most maxBatchDocuments documents and maxBatchChunks chunks', async () => {
    const c = await fresh();
    const docs = Array.from({ length: 23 }, (_, i) => page(`https://s.test/cap-${i}`, ['a', 'b', 'c'].map((x) => `${x} ${i}`)));
    await collect(store(fast(docs), { pool: db.pool, collection: c, chunking: 'x', maxBatchDocuments: 5 }));
    expect(Math.max(...(await transactions(c)))).toBeLessThanOrEqual(5);
    const d = await fresh();
    await collect(store(fast(docs), { pool: db.pool, collection: d, chunking: 'x', maxBatchChunks: 7 }));
    expect(Math.max(...(await transactions(d)))).toBeLessThanOrEqual(2);
  });

  test('a page repeated in the stream is written in order: the later version wins', async () => {
    const c = await fresh();
    const url = 'https://s.test/twice';
    const stored = await collect(store(fast([page(url, ['first version']), page('https://s.test/other', ['x']), page(url, ['second version', 'and more'])]), { pool: db.pool, collection: c, chunking: 'x' }));
    expect(stored.map((d) => [d.url, d.outcome])).toEqual([
      [url, 'new'],
      ['https://s.test/other', 'new'],
      [url, 'changed'],
    ]);
    const { rows } = await db.pool.query('SELECT k.text FROM chunks k JOIN documents d ON d.id = k.document_id WHERE d.source = $1 AND d.collection_id = $2 ORDER BY k.ordinal', [url, c.id]);
    expect(rows.map((r) => r.text)).toEqual(['second version', 'and more']);
  });

  test('a write the database refuses reaches the consumer, and what was committed before stays', async () => {
    const c = await fresh();
    let release: () => void = () => undefined;
    async function* source(): AsyncGenerator<EmbeddedDocument> {
      yield page('https://s.test/good', ['fine text']);
      await new Promise<void>((resolve) => (release = resolve));
      yield page('https://s.test/bad', ['nul \u0000 byte']);
    }
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const d of store(source(), { pool: db.pool, collection: c, chunking: 'x' })) {
          got.push(d.url);
          release();
        }
      })(),
    ).rejects.toThrow();
    expect(got).toEqual(['https://s.test/good']);
    const { rows } = await db.pool.query('SELECT source FROM documents WHERE collection_id = $1', [c.id]);
    expect(rows.map((r) => r.source)).toEqual(['https://s.test/good']);
  });

  test('batch limits that are not positive integers are refused', async () => {
    const c = await fresh();
    await expect(collect(store(fast([]), { pool: db.pool, collection: c, chunking: 'x', maxBatchDocuments: 0 }))).rejects.toThrow(/`maxBatchDocuments` to be an integer from 1/);
  });
});
