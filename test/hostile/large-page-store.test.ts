/**
 * A large page on the embedded store is written in bounded pieces (issue 16.6): one `unnest`
 * INSERT carrying every chunk's vector as text took a 9.9 MB page past 5 minutes at 2.7 GB RSS.
 * The embedded database opened by ragline takes binary COPY blobs of bounded size; a pool that
 * takes no COPY (a PGlite pool made elsewhere) gets INSERTs of bounded size. What is sent is
 * recorded (nothing is mocked: the recorders pass everything on) and the chunks read back.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { freshDatabase } from '../support/databases.js';
import type { Database } from '../../src/store/database.js';
import { copyRoute, decodeVector, registerBlobCopy } from '../../src/store/copy.js';
import { migrate, readMigrations } from '../../src/store/migrate.js';
import { migrationsDir } from '../../src/store/database.js';
import { ensureCollection } from '../../src/store/collections.js';
import { replaceDocument } from '../../src/store/documents.js';
import type { EmbeddedChunk, EmbeddedDocument } from '../../src/types.js';
import { createLexicalEmbedding } from '../../src/models/local/lexical-embedding.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const DIMS = 16;
const model = createLexicalEmbedding({ dimensions: DIMS });

function page(url: string, texts: string[]): EmbeddedDocument {
  const chunks: EmbeddedChunk[] = texts.map((text, ordinal) => ({
    url,
    title: 'Large page',
    ordinal,
    text,
    headingPath: ['Part', `Section ${ordinal}`],
    embeddingInput: text,
    tokenCount: text.split(' ').length,
    textHash: sha(text),
    metadata: { n: ordinal },
    embedding: Float32Array.from({ length: DIMS }, (_, i) => Math.fround(Math.sin(ordinal * DIMS + i + 1))),
  }));
  return {
    document: { url, title: 'Large page', contentType: 'text/html', fetchedAt: new Date(), blocks: [], contentHash: sha(texts.join('|')) },
    chunks,
    cachedChunks: 0,
    embeddedTokens: 0,
  };
}

/** The parameters of every `INSERT INTO chunks` the pool's connections send from now on. */
function recordChunkInserts(pool: pg.Pool): unknown[][] {
  const inserts: unknown[][] = [];
  pool.on('acquire', (client: pg.PoolClient & { recording?: boolean }) => {
    if (client.recording) return;
    client.recording = true;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('INSERT INTO chunks')) inserts.push(args[1] as unknown[]);
      return query(...args);
    };
  });
  return inserts;
}

/** Chunks per statement: the length of the ordinals array. */
const rowsOf = (params: unknown[]) => (params[2] as unknown[]).length;
/** Characters the statement's parameters carry. */
const charsOf = (params: unknown[]) => JSON.stringify(params).length;

/** A migrated in-memory PGlite behind a plain pool, as a program might make one: no blob COPY registered. */
async function plainPglitePool(): Promise<{ pool: pg.Pool; close(): Promise<void> }> {
  const lite = await PGlite.create({ extensions: { vector } });
  const pool = new pg.Pool(createPgConfig(lite) as unknown as pg.PoolConfig);
  await migrate(pool, await readMigrations(migrationsDir()));
  return { pool, close: async () => (await pool.end(), await lite.close()) };
}

describe('a page of many chunks on the embedded store opened by ragline', () => {
  let db: Database & { drop(): Promise<void> };
  const blobs: number[] = [];
  beforeAll(async () => {
    db = await freshDatabase('pglite');
    const copy = copyRoute(db.pool);
    if (typeof copy !== 'function') throw new Error('the embedded database registers its blob COPY');
    registerBlobCopy(db.pool, (sql, blob) => (blobs.push(blob.size), copy(sql, blob)));
  });
  afterAll(() => db?.drop());

  test('long chunk texts go as binary COPY blobs of bounded size, and read back identical', async () => {
    const collection = await ensureCollection(db.pool, 'long', model);
    const doc = page('https://example.com/long', Array.from({ length: 40 }, (_, i) => `${i} `.padEnd(1_000_000, 'word ')));
    const id = await replaceDocument(db.pool, collection, doc, 'x');
    expect(blobs.length).toBeGreaterThan(1);
    // A blob holds ~16 MiB, plus at most one row of text, vector and keyword vector.
    for (const size of blobs) expect(size).toBeLessThan(16 * 2 ** 20 + 3_000_000);
    const { rows } = await db.pool.query<{ ordinal: number; text: string; embedding: Buffer }>(
      'SELECT ordinal, text, vector_send(embedding) AS embedding FROM chunks WHERE document_id = $1 ORDER BY ordinal',
      [id],
    );
    expect(rows.map((r) => r.text)).toEqual(doc.chunks.map((c) => c.text));
    for (const [i, c] of doc.chunks.entries()) expect([...decodeVector(rows[i]!.embedding)]).toEqual([...c.embedding]);
  }, 120_000);
});

describe('a page of many chunks through a pool that takes no COPY', () => {
  let db: Awaited<ReturnType<typeof plainPglitePool>>;
  let inserts: unknown[][];
  beforeAll(async () => {
    db = await plainPglitePool();
    inserts = recordChunkInserts(db.pool);
  });
  afterAll(() => db?.close());

  async function readBack(id: number) {
    const { rows } = await db.pool.query<{ ordinal: number; text: string; heading_path: string[]; metadata: unknown; embedding: Buffer }>(
      'SELECT ordinal, text, heading_path, metadata, vector_send(embedding) AS embedding FROM chunks WHERE document_id = $1 ORDER BY ordinal',
      [id],
    );
    return rows;
  }

  test('is written in several statements of at most 256 chunks, and reads back identical', async () => {
    const collection = await ensureCollection(db.pool, 'large', model);
    const doc = page('https://example.com/large', Array.from({ length: 1000 }, (_, i) => `Chunk number ${i} of the large page.`));
    inserts.length = 0;
    const id = await replaceDocument(db.pool, collection, doc, 'x');
    expect(inserts.length).toBeGreaterThan(1);
    for (const params of inserts) expect(rowsOf(params)).toBeLessThanOrEqual(256);
    expect(inserts.reduce((n, p) => n + rowsOf(p), 0)).toBe(1000);
    const rows = await readBack(id);
    expect(rows).toHaveLength(1000);
    for (const [i, c] of doc.chunks.entries()) {
      expect(rows[i]).toMatchObject({ ordinal: i, text: c.text, heading_path: c.headingPath, metadata: c.metadata });
      expect([...decodeVector(rows[i]!.embedding)]).toEqual([...c.embedding]);
    }
  });

  test('long chunk texts are split into statements of bounded size', async () => {
    const collection = await ensureCollection(db.pool, 'long', model);
    const doc = page('https://example.com/long', Array.from({ length: 12 }, (_, i) => `${i} `.padEnd(1_000_000, 'word ')));
    inserts.length = 0;
    const id = await replaceDocument(db.pool, collection, doc, 'x');
    expect(inserts.length).toBeGreaterThan(1);
    // A statement carries at most ~8 MB of parameters, however long the page.
    for (const params of inserts) expect(charsOf(params)).toBeLessThan(8_500_000);
    const rows = await readBack(id);
    expect(rows.map((r) => r.text)).toEqual(doc.chunks.map((c) => c.text));
  });
});
