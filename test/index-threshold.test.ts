import { describeEachDatabase, freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { buildCollectionIndex, dropCollectionIndex, ensureCollection, hasCollectionIndex, listCollections } from '../src/store/collections.js';
import { replaceDocuments } from '../src/store/documents.js';
import { searchChunks } from '../src/retrieval/search-chunks.js';
import { ingestDocuments } from '../src/core/ingest-documents.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { clusteredPages } from './support/builders.js';

const DIMS = 32;
const model = createLexicalEmbedding({ dimensions: DIMS });

/** `count` pages of `perPage` chunks around a few cluster centres. */
const pages = (count: number, perPage: number) =>
  clusteredPages({ count, perPage, dims: DIMS, seed: 11, centres: 6, spread: 0.3, chunk: (n) => ({ text: `chunk ${n}` }) });

const text = (i: number) => `# Page ${i}\n\nThe wombat number ${i} digs burrows with its claws near river ${i % 7}.\n`;

describeEachDatabase('the HNSW index of a collection: none while small, built past the threshold', (backend) => {
  let db: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase(backend);
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('a new collection has no index, and exact search finds the same nearest chunks as the index does', async () => {
    const c = await ensureCollection(db.pool, 'same-top', model);
    expect(await hasCollectionIndex(db.pool, c)).toBe(false);
    const docs = pages(20, 20); // 400 chunks
    await replaceDocuments(db.pool, c, docs, 'x');
    const queries = [0, 57, 133, 260, 399].map((n) => docs[Math.floor(n / 20)]!.chunks[n % 20]!.embedding);
    const top = async () => {
      const out: string[][] = [];
      for (const vector of queries) out.push((await searchChunks(db.pool, c, { vector, text: '' }, { k: 5, mode: 'vector', efSearch: 200 })).map((h) => h.text));
      return out;
    };
    const exact = await top();
    expect(exact.every((ids) => ids.length === 5)).toBe(true);
    expect(exact.map((ids) => ids[0])).toEqual(['chunk 0', 'chunk 57', 'chunk 133', 'chunk 260', 'chunk 399']);
    expect(await buildCollectionIndex(db.pool, c)).toBe(true);
    expect(await top()).toEqual(exact);
    expect(await dropCollectionIndex(db.pool, c)).toBe(true);
    expect(await top()).toEqual(exact);
  });

  test('an ingest below the threshold leaves the collection without an index; the one that crosses it builds it once', async () => {
    const small = await ingestDocuments({ db, collection: 'growing', embedding: model, documents: [1, 2, 3].map((i) => ({ url: `urn:p${i}`, text: text(i) })), indexMinChunks: 5 });
    expect(small.chunks).toBe(3);
    expect(small.indexMs).toBeUndefined();
    const before = (await listCollections(db.pool)).find((r) => r.name === 'growing')!;
    expect(before).toMatchObject({ chunks: 3, indexed: false });

    const crossing = await ingestDocuments({ db, collection: 'growing', embedding: model, documents: [4, 5, 6].map((i) => ({ url: `urn:p${i}`, text: text(i) })), indexMinChunks: 5 });
    expect(crossing.indexMs).toEqual(expect.any(Number));
    const after = (await listCollections(db.pool)).find((r) => r.name === 'growing')!;
    expect(after).toMatchObject({ chunks: 6, indexed: true });

    const again = await ingestDocuments({ db, collection: 'growing', embedding: model, documents: [7].map((i) => ({ url: `urn:p${i}`, text: text(i) })), indexMinChunks: 5 });
    expect(again.indexMs).toBeUndefined(); // it has its index: kept up to date row by row from now on
    const hits = await searchChunks(db.pool, after, { vector: (await model.embed({ inputs: ['wombat number 7'] })).embeddings[0]!, text: '' }, { k: 1, mode: 'vector' });
    expect(hits[0]!.text).toContain('wombat number 7');
  });

  test('an ingest with indexMinChunks Infinity (a bulk load) builds no index', async () => {
    const docs = [1, 2, 3].map((i) => ({ url: `urn:q${i}`, text: text(i) }));
    await ingestDocuments({ db, collection: 'bulk', embedding: model, documents: docs, indexMinChunks: Infinity });
    expect((await listCollections(db.pool)).find((r) => r.name === 'bulk')).toMatchObject({ chunks: 3, indexed: false });
  });
});
