import { describeEachDatabase, freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { buildCollectionIndex, configureCollectionIndex, ensureCollection, getCollection, listCollections } from '../src/store/collections.js';
import { replaceDocuments } from '../src/store/documents.js';
import { searchChunks } from '../src/retrieval/search-chunks.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { ConfigError } from '../src/errors.js';
import { clusteredPages } from './support/builders.js';

const DIMS = 32;
const model = createLexicalEmbedding({ dimensions: DIMS });

/** Pages of chunks around a few cluster centres; every 25th chunk is tagged `group: rare`. */
const pages = (count: number, perPage: number) =>
  clusteredPages({
    count,
    perPage,
    dims: DIMS,
    seed: 7,
    centres: 4,
    spread: 0.2,
    chunk: (n) => ({ text: `chunk ${n} ${n % 25 === 0 ? 'rare tagged text' : 'common text'}`, metadata: { group: n % 25 === 0 ? 'rare' : 'common', n } }),
  });

describeEachDatabase('HNSW settings and filtered search', (backend) => {
  let db: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase(backend);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const indexdef = async (id: number) =>
    (await db.pool.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = $1`, [`chunks_embedding_c${id}_idx`])).rows[0]?.indexdef;

  test('a collection created with HNSW settings stores them and builds its index with them', async () => {
    const c = await ensureCollection(db.pool, 'tuned', model, { index: { m: 8, efConstruction: 40, efSearch: 100 } });
    expect(c.index).toEqual({ m: 8, efConstruction: 40, efSearch: 100 });
    expect(await indexdef(c.id)).toBeUndefined(); // built once the collection is large enough
    expect(await buildCollectionIndex(db.pool, c)).toBe(true);
    expect(await indexdef(c.id)).toMatch(/WITH \(m='?8'?, ef_construction='?40'?\)/);
    expect((await getCollection(db.pool, 'tuned'))!.index).toEqual({ m: 8, efConstruction: 40, efSearch: 100 });
    expect((await listCollections(db.pool)).find((x) => x.name === 'tuned')!.index).toEqual({ m: 8, efConstruction: 40, efSearch: 100 });
  });

  test('settings outside pgvector ranges are refused, naming the setting and the range', async () => {
    await expect(ensureCollection(db.pool, 'bad-m', model, { index: { m: 1 } })).rejects.toThrow(ConfigError);
    await expect(ensureCollection(db.pool, 'bad-m', model, { index: { m: 1 } })).rejects.toThrow(/`m` to be an integer from 2 to 100/);
    await expect(ensureCollection(db.pool, 'bad-ef', model, { index: { m: 32, efConstruction: 40 } })).rejects.toThrow(/at least twice `m` \(64\)/);
    expect(await getCollection(db.pool, 'bad-m')).toBeUndefined();
  });

  test('changing m rebuilds the index in place; changing ef_search alone does not; null restores the default', async () => {
    await ensureCollection(db.pool, 'retuned', model);
    await replaceDocuments(db.pool, (await getCollection(db.pool, 'retuned'))!, pages(4, 10), 'x');
    await buildCollectionIndex(db.pool, (await getCollection(db.pool, 'retuned'))!);
    const first = await configureCollectionIndex(db.pool, 'retuned', { m: 12, efConstruction: 48 });
    expect(first.rebuilt).toBe(true);
    expect(await indexdef(first.collection.id)).toMatch(/m='?12'?, ef_construction='?48'?/);
    const second = await configureCollectionIndex(db.pool, 'retuned', { efSearch: 200 });
    expect(second).toMatchObject({ rebuilt: false, collection: { index: { m: 12, efConstruction: 48, efSearch: 200 } } });
    const third = await configureCollectionIndex(db.pool, 'retuned', { m: null, efConstruction: null });
    expect(third).toMatchObject({ rebuilt: true, collection: { index: { efSearch: 200 } } });
    expect(await indexdef(third.collection.id)).not.toMatch(/WITH/);
    const hits = await searchChunks(db.pool, third.collection, { vector: pages(1, 1)[0]!.chunks[0]!.embedding, text: '' }, { k: 3, mode: 'vector' });
    expect(hits).toHaveLength(3);
  });

  test('a filtered search still returns k results when few of the nearest chunks match', async () => {
    const c = await ensureCollection(db.pool, 'filtered', model);
    const docs = pages(50, 20); // 1000 chunks, 40 of them rare
    await replaceDocuments(db.pool, c, docs, 'x');
    const query = docs[3]!.chunks[1]!.embedding; // a common chunk's neighbourhood
    const hits = await searchChunks(db.pool, c, { vector: query, text: '' }, { k: 20, mode: 'vector', filter: { group: 'rare' } });
    expect(hits).toHaveLength(20);
    expect(hits.every((h) => h.metadata.group === 'rare')).toBe(true);
    // Nearest first, as an exact scan over the rare chunks would order them.
    const distances = hits.map((h) => h.distance!);
    expect([...distances].sort((a, b) => a - b)).toEqual(distances);
  });

  test('the keyword retriever honours the filter too', async () => {
    const c = (await getCollection(db.pool, 'filtered'))!;
    const hits = await searchChunks(db.pool, c, { text: 'tagged text' }, { k: 5, mode: 'keyword', filter: { group: 'common' } });
    expect(hits.length).toBe(5);
    expect(hits.every((h) => h.metadata.group === 'common')).toBe(true);
  });

  test('a filter that is not an object is refused with an example', async () => {
    const c = (await getCollection(db.pool, 'filtered'))!;
    await expect(searchChunks(db.pool, c, { text: 'x' }, { mode: 'keyword', filter: ['rare'] as unknown as Record<string, unknown> })).rejects.toThrow(
      /`filter` to be an object of metadata to match/,
    );
  });
});
