import { createHash } from 'node:crypto';
import { freshDatabase, describeEachDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { copyChunks, decodeVector, encodeVector, supportsCopy } from '../src/store/copy.js';
import { ensureCollection } from '../src/store/collections.js';
import { replaceDocument, replaceDocuments } from '../src/store/documents.js';
import { withTransaction } from '../src/store/transaction.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import type { EmbeddedChunk, EmbeddedDocument } from '../src/types.js';
import { StoreError } from '../src/errors.js';
import { chunkKeywords, keywordQuery, tsvectorText } from '../src/text/keywords.js';

const model = createLexicalEmbedding({ dimensions: 16 });
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Awkward float32 values: denormals, extremes, negative zero, values decimal text rounds. */
const AWKWARD = new Float32Array([1.4e-45, 3.4028234663852886e38, -0, 0.1, -1 / 3, Math.PI, 1e-38, 16777217, 1, 2, 3, 4, 5, 6, 7, 8]);

function chunk(ordinal: number, text: string, extra: Partial<EmbeddedChunk> = {}): EmbeddedChunk {
  return {
    url: 'https://example.com/page',
    title: 'Page',
    ordinal,
    text,
    headingPath: ['Guide', `Ünïcode “part” ${ordinal}`, 'with, comma {brace}'],
    embeddingInput: text,
    tokenCount: text.split(' ').length,
    textHash: sha(text),
    metadata: { n: ordinal, quote: 'he said "hi"\n', nested: { list: [1, null, true] } },
    embedding: Float32Array.from(AWKWARD, (v) => (ordinal % 2 ? -v : v)),
    ...extra,
  };
}

function page(url: string, texts: string[], extra: Partial<EmbeddedChunk> = {}): EmbeddedDocument {
  return {
    document: { url, title: 'Copy page', contentType: 'text/html', fetchedAt: new Date(), blocks: [], contentHash: sha(texts.join('|')) },
    chunks: texts.map((t, i) => ({ ...chunk(i, t), url, ...extra })),
    cachedChunks: 0,
    embeddedTokens: 0,
  };
}

describe('pgvector binary format', () => {
  test('a vector is int16 dimensions, int16 zero, then big-endian float4s', () => {
    const buf = encodeVector(new Float32Array([1, -2.5]));
    expect([...buf]).toEqual([0, 2, 0, 0, 0x3f, 0x80, 0, 0, 0xc0, 0x20, 0, 0]);
  });

  test('every float32 bit pattern survives encoding, negative zero included', () => {
    const back = decodeVector(encodeVector(AWKWARD));
    expect(Buffer.from(back.buffer)).toEqual(Buffer.from(AWKWARD.buffer));
  });
});

describeEachDatabase('binary COPY write path', (backend) => {
  let db: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase(backend);
  });
  afterAll(async () => {
    await db?.drop();
  });

  test(backend === 'postgres' ? 'the server takes the COPY path' : 'the embedded database takes the unnest path (PGlite has no COPY FROM STDIN)', () => {
    expect(supportsCopy(db.pool)).toBe(backend === 'postgres');
  });

  // The embedded path sends nine-digit decimal text, which keeps every value but writes -0 as 0.
  test(backend === 'postgres' ? 'stored vectors equal the Float32Arrays bit for bit' : 'stored vectors equal the Float32Arrays value for value', async () => {
    const c = await ensureCollection(db.pool, 'bits', model);
    const id = await replaceDocument(db.pool, c, page('https://example.com/bits', ['alpha beta', 'gamma delta']), 'x');
    const { rows } = await db.pool.query<{ ordinal: number; v: Buffer }>(
      // vector_send: the same binary format the COPY path writes.
      'SELECT ordinal, vector_send(embedding) AS v FROM chunks WHERE document_id = $1 ORDER BY ordinal',
      [id],
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      const expected = Float32Array.from(AWKWARD, (v) => (r.ordinal % 2 ? -v : v));
      const stored = decodeVector(r.v);
      if (backend === 'postgres') expect(Buffer.from(stored.buffer)).toEqual(Buffer.from(expected.buffer));
      else expect(Array.from(stored, (v) => v + 0)).toEqual(Array.from(expected, (v) => v + 0));
    }
  });

  test('text, heading paths, metadata and the keyword vector are stored as given', async () => {
    const c = await ensureCollection(db.pool, 'fields', model);
    const id = await replaceDocument(db.pool, c, page('https://example.com/fields', ['Résumé of “quoted” text\twith tabs\nand lines', 'second']), 'x');
    // The server path sends keyword vectors in binary, the embedded one as text: both must equal
    // the text form parsed by the database.
    const { rows } = await db.pool.query(
      `SELECT ordinal, text, heading_path, metadata, token_count, text_hash,
              tsv = (CASE ordinal WHEN 0 THEN $2 ELSE $3 END)::tsvector AS tsv_ok,
              tsv @@ $4::tsquery AS found
         FROM chunks WHERE document_id = $1 ORDER BY ordinal`,
      [
        id,
        tsvectorText(chunkKeywords('Copy page', chunk(0, '').headingPath, 'Résumé of “quoted” text\twith tabs\nand lines')),
        tsvectorText(chunkKeywords('Copy page', chunk(1, '').headingPath, 'second')),
        keywordQuery('quoted'),
      ],
    );
    expect(rows[0]).toEqual({
      ordinal: 0,
      text: 'Résumé of “quoted” text\twith tabs\nand lines',
      heading_path: ['Guide', 'Ünïcode “part” 0', 'with, comma {brace}'],
      metadata: { n: 0, quote: 'he said "hi"\n', nested: { list: [1, null, true] } },
      token_count: 6,
      text_hash: sha('Résumé of “quoted” text\twith tabs\nand lines'),
      tsv_ok: true,
      found: true,
    });
    expect(rows[1]).toMatchObject({ ordinal: 1, text: 'second', tsv_ok: true, found: false });
  });

  test('an empty heading path is stored as an empty array', async () => {
    const c = await ensureCollection(db.pool, 'empty-path', model);
    const id = await replaceDocument(db.pool, c, page('https://example.com/flat', ['flat text'], { headingPath: [] }), 'x');
    const { rows } = await db.pool.query('SELECT heading_path FROM chunks WHERE document_id = $1', [id]);
    expect(rows).toEqual([{ heading_path: [] }]);
  });

  test('a write the server rejects leaves the previous chunks in place', async () => {
    const c = await ensureCollection(db.pool, 'atomic', model);
    const url = 'https://example.com/atomic';
    await replaceDocument(db.pool, c, page(url, ['old one', 'old two']), 'x');
    // Postgres text cannot hold NUL: the second chunk fails after the old rows were deleted.
    await expect(replaceDocument(db.pool, c, page(url, ['new one', 'new\u0000two', 'new three']), 'x')).rejects.toThrow();
    const { rows } = await db.pool.query('SELECT k.text FROM chunks k JOIN documents d ON d.id = k.document_id WHERE d.source = $1 ORDER BY k.ordinal', [url]);
    expect(rows.map((r) => r.text)).toEqual(['old one', 'old two']);
  });

  test('several documents are replaced in one write, ids in the order given', async () => {
    const c = await ensureCollection(db.pool, 'batch', model);
    const urls = ['https://example.com/z', 'https://example.com/a', 'https://example.com/m'];
    const first = await replaceDocuments(db.pool, c, urls.map((u) => page(u, [`${u} one`, `${u} two`])), 'x');
    const again = await replaceDocuments(db.pool, c, urls.map((u, i) => page(u, Array.from({ length: i + 1 }, (_, j) => `${u} v2 ${j}`))), 'x');
    expect(again).toEqual(first);
    const { rows } = await db.pool.query<{ source: string; id: string; texts: string[]; chunk_count: number }>(
      `SELECT d.source, d.id, d.chunk_count, array_agg(k.text ORDER BY k.ordinal) AS texts
         FROM documents d JOIN chunks k ON k.document_id = d.id WHERE d.collection_id = $1 GROUP BY d.id ORDER BY d.source`,
      [c.id],
    );
    expect(rows.map((r) => [r.source, Number(r.id), r.chunk_count, r.texts])).toEqual([
      ['https://example.com/a', first[1], 2, ['https://example.com/a v2 0', 'https://example.com/a v2 1']],
      ['https://example.com/m', first[2], 3, ['https://example.com/m v2 0', 'https://example.com/m v2 1', 'https://example.com/m v2 2']],
      ['https://example.com/z', first[0], 1, ['https://example.com/z v2 0']],
    ]);
  });

  test('a batched write that fails on one document leaves every document as it was', async () => {
    const c = await ensureCollection(db.pool, 'batch-atomic', model);
    await replaceDocuments(db.pool, c, [page('https://example.com/ok', ['ok old']), page('https://example.com/bad', ['bad old'])], 'x');
    await expect(replaceDocuments(db.pool, c, [page('https://example.com/ok', ['ok new']), page('https://example.com/bad', ['bad\u0000new'])], 'x')).rejects.toThrow();
    const { rows } = await db.pool.query('SELECT k.text FROM chunks k WHERE k.collection_id = $1 ORDER BY k.text', [c.id]);
    expect(rows.map((r) => r.text)).toEqual(['bad old', 'ok old']);
  });

  test('the same source twice in one write is refused, naming it', async () => {
    const c = await ensureCollection(db.pool, 'batch-dup', model);
    const p = page('https://example.com/twice', ['x']);
    await expect(replaceDocuments(db.pool, c, [p, p], 'x')).rejects.toThrow(/https:\/\/example\.com\/twice appears twice in one write/);
  });

  if (backend === 'postgres') {
    test('two documents copied in one transaction each get only their own chunks', async () => {
      const c = await ensureCollection(db.pool, 'two-in-one', model);
      const ids = await withTransaction(db.pool, async (client) => {
        const out: number[] = [];
        for (const url of ['https://example.com/a', 'https://example.com/b']) {
          const { rows } = await client.query<{ id: string }>(
            `INSERT INTO documents (collection_id, source, content_hash, fetched_at) VALUES ($1, $2, 'h', now()) RETURNING id`,
            [c.id, url],
          );
          const id = Number(rows[0]!.id);
          expect(await copyChunks(client, c.id, [{ documentId: id, title: 'T', chunks: [chunk(0, `${url} zero`), chunk(1, `${url} one`)] }])).toBe(2);
          out.push(id);
        }
        return out;
      });
      const { rows } = await db.pool.query<{ document_id: string; n: number }>(
        'SELECT document_id, count(*)::int AS n FROM chunks WHERE collection_id = $1 GROUP BY document_id ORDER BY document_id',
        [c.id],
      );
      expect(rows.map((r) => [Number(r.document_id), r.n])).toEqual(ids.map((id) => [id, 2]));
    });

    test('a COPY failure is a StoreError naming the target, with the server error as cause', async () => {
      const c = await ensureCollection(db.pool, 'copy-error', model);
      const err = await withTransaction(db.pool, async (client) => {
        const { rows } = await client.query<{ id: string }>(
          `INSERT INTO documents (collection_id, source, content_hash, fetched_at) VALUES ($1, 'https://example.com/e', 'h', now()) RETURNING id`,
          [c.id],
        );
        return copyChunks(client, c.id, [{ documentId: Number(rows[0]!.id), title: 'T', chunks: [chunk(0, 'bad\u0000text')] }]).catch((e: unknown) => e);
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/Binary COPY into chunks \(collection_id, document_id/);
      expect((err as Error).cause).toBeInstanceOf(Error);
    });
  }
});

