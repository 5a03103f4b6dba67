import { createHash } from 'node:crypto';
import { mkdtemp, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { migrate, readMigrations } from '../src/store/migrate.js';
import { migrationsDir } from '../src/store/database.js';
import { buildCollectionIndex, ensureCollection, listCollections } from '../src/store/collections.js';
import { dropCollection } from '../src/store/collection-changes.js';
import { findCachedEmbeddings, replaceDocument, getDocumentState } from '../src/store/documents.js';
import { searchChunks } from '../src/retrieval/search-chunks.js';
import { createLexicalEmbedding, lexicalVector } from '../src/models/local/lexical-embedding.js';
import type { EmbeddedDocument } from '../src/types.js';
import { ConfigError, StoreError } from '../src/errors.js';
import { embeddedChunkOf, embeddedDocument } from './support/builders.js';

const model = createLexicalEmbedding({ dimensions: 256 });
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function doc(url: string, title: string, texts: string[]): EmbeddedDocument {
  const chunks = texts.map((text, ordinal) =>
    embeddedChunkOf(url, ordinal, text, lexicalVector(`${title}\n\n${text}`, 256), {
      title,
      headingPath: [title, `Part ${ordinal}`],
      embeddingInput: `${title}\n\n${text}`,
      tokenCount: text.split(' ').length,
      metadata: { n: ordinal },
    }),
  );
  return embeddedDocument(url, chunks, { title });
}

describeEachDatabase('store', (backend) => {
  let db: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase(backend);
  });
  afterAll(async () => {
    await db?.drop();
  });

  test('migrations are applied once and recorded with a checksum', async () => {
    const again = await migrate(db.pool, await readMigrations(migrationsDir()));
    expect(again).toEqual([]);
    const { rows } = await db.pool.query('SELECT version, name, checksum FROM schema_migrations');
    expect(rows[0]).toMatchObject({ version: 1, name: '001_init.sql' });
    expect(rows[0].checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a migration changed after it was applied is an error naming it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-mig-'));
    await cp(migrationsDir(), dir, { recursive: true });
    await writeFile(path.join(dir, '001_init.sql'), '-- edited\nSELECT 1;');
    await expect(migrate(db.pool, await readMigrations(dir))).rejects.toThrow(StoreError);
    await expect(migrate(db.pool, await readMigrations(dir))).rejects.toThrow(/001_init\.sql was changed after it was applied/);
  });

  test('a collection gets an HNSW index whose operator class matches the cosine operator', async () => {
    const c = await ensureCollection(db.pool, 'idx', model);
    expect(await buildCollectionIndex(db.pool, c)).toBe(true);
    const { rows } = await db.pool.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = $1`, [`chunks_embedding_c${c.id}_idx`]);
    expect(rows[0]!.indexdef).toMatch(/USING hnsw \(\(\(?embedding\)?::vector\(256\)\) vector_cosine_ops\) WHERE \(collection_id = /);
  });

  test('a collection built with one model refuses vectors of another', async () => {
    await ensureCollection(db.pool, 'one-model', model);
    await expect(ensureCollection(db.pool, 'one-model', createLexicalEmbedding({ dimensions: 128 }))).rejects.toThrow(ConfigError);
    await expect(ensureCollection(db.pool, 'one-model', createLexicalEmbedding({ dimensions: 128 }))).rejects.toThrow(/holds local\/lexical-hash-v1 vectors \(256 d\)/);
  });

  test('an invalid collection name is refused with the rule', async () => {
    await expect(ensureCollection(db.pool, 'bad name;drop', model)).rejects.toThrow(/Invalid collection name/);
  });

  test('replacing a document leaves exactly its new chunks', async () => {
    const c = await ensureCollection(db.pool, 'replace', model);
    await replaceDocument(db.pool, c, doc('https://x.test/a', 'A', ['one two three', 'four five six', 'seven']), 'v1');
    await replaceDocument(db.pool, c, doc('https://x.test/a', 'A', ['one two three', 'changed text']), 'v1');
    await replaceDocument(db.pool, c, doc('https://x.test/a', 'A', ['one two three', 'changed text']), 'v1');
    const { rows } = await db.pool.query('SELECT ordinal, text, heading_path, metadata FROM chunks WHERE collection_id = $1 ORDER BY ordinal', [c.id]);
    expect(rows).toEqual([
      { ordinal: 0, text: 'one two three', heading_path: ['A', 'Part 0'], metadata: { n: 0 } },
      { ordinal: 1, text: 'changed text', heading_path: ['A', 'Part 1'], metadata: { n: 1 } },
    ]);
    const stats = (await listCollections(db.pool)).find((s) => s.name === 'replace');
    expect(stats).toMatchObject({ documents: 1, chunks: 2 });
    expect(await getDocumentState(db.pool, c.id, 'https://x.test/a')).toEqual({ contentHash: sha('one two three|changed text'), chunking: 'v1' });
  });

  test('a failed write leaves the previous version of the document intact', async () => {
    const c = await ensureCollection(db.pool, 'atomic', model);
    await replaceDocument(db.pool, c, doc('https://x.test/b', 'B', ['kept text']), 'v1');
    const broken = doc('https://x.test/b', 'B', ['new text', 'more']);
    broken.chunks[1]!.embedding = new Float32Array(3); // wrong dimension for this collection's index
    await expect(replaceDocument(db.pool, c, broken, 'v1')).rejects.toThrow();
    const { rows } = await db.pool.query('SELECT text FROM chunks WHERE collection_id = $1', [c.id]);
    expect(rows).toEqual([{ text: 'kept text' }]);
  });

  test('stored vectors are found again by text hash for the same model only', async () => {
    const c = await ensureCollection(db.pool, 'cache', model);
    const d = doc('https://x.test/c', 'C', ['cache me please']);
    await replaceDocument(db.pool, c, d, 'v1');
    const hash = d.chunks[0]!.textHash;
    const hit = await findCachedEmbeddings(db.pool, model, [hash, 'nope']);
    expect([...hit.keys()]).toEqual([hash]);
    expect(Array.from(hit.get(hash)!)).toEqual(Array.from(d.chunks[0]!.embedding).map((x) => expect.closeTo(x, 5)));
    expect((await findCachedEmbeddings(db.pool, createLexicalEmbedding({ dimensions: 128 }), [hash])).size).toBe(0);
  });

  test('hybrid search ranks the chunk that matches by words and by vector first', async () => {
    const c = await ensureCollection(db.pool, 'search', model);
    await replaceDocument(db.pool, c, doc('https://x.test/throttle', 'Throttling', ['Throttling limits the rate of requests a client may make per minute.', 'Unrelated paragraph about colours and paint.']), 'v1');
    await replaceDocument(db.pool, c, doc('https://x.test/auth', 'Authentication', ['Tokens authenticate each request with a header.']), 'v1');
    const question = 'how do I throttle requests per minute?';
    const results = await searchChunks(db.pool, c, { text: question, vector: lexicalVector(question, 256) }, { k: 3 });
    expect(results[0]).toMatchObject({ url: 'https://x.test/throttle', ordinal: 0, vectorRank: 1, keywordRank: 1 });
    expect(results[0]!.distance).toBeGreaterThanOrEqual(0);
    const keywordOnly = await searchChunks(db.pool, c, { text: 'authenticate header' }, { mode: 'keyword' });
    expect(keywordOnly.map((r) => r.url)).toEqual(['https://x.test/auth']);
  });

  test('dropping a collection removes its documents, chunks and index', async () => {
    const c = await ensureCollection(db.pool, 'gone', model);
    await replaceDocument(db.pool, c, doc('https://x.test/g', 'G', ['bye']), 'v1');
    expect(await dropCollection(db.pool, 'gone')).toBe(true);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM chunks WHERE collection_id = $1', [c.id]);
    expect(rows[0].n).toBe(0);
    const idx = await db.pool.query(`SELECT 1 FROM pg_indexes WHERE indexname = $1`, [`chunks_embedding_c${c.id}_idx`]);
    expect(idx.rowCount).toBe(0);
  });
});

describe('vector text', () => {
  test('round-trips float32 values exactly in fewer characters than a double would take', async () => {
    const { toVectorText, fromVectorText } = await import('../src/store/vector-sql.js');
    const v = Float32Array.from({ length: 256 }, (_, i) => Math.sin(i) / (i + 1) ** 3);
    const text = toVectorText(v);
    expect(Array.from(fromVectorText(text))).toEqual(Array.from(v));
    expect(text.length).toBeLessThan(JSON.stringify(Array.from(v)).length * 0.7);
  });
});
