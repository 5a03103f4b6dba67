/**
 * `npm run bench:copy`: rows/s of 1536-d chunk rows into one Postgres server, in one run —
 *
 *   ragline     the write path of an ingest: the store stage, fed as fast as it takes pages, as the
 *               chunk and embed stages leave them (vectors and keyword vectors worked out). Each
 *               write is a transaction that upserts its documents, deletes their old chunks and
 *               binary-COPYs the new ones; the stage batches the pages that arrive during its
 *               writes, two writes in flight. Also: one write in flight, two ingests at once,
 *               chunks without keyword vectors (the store analyses them), one page per write.
 *   raw COPY    one binary COPY of the same rows straight into the chunks table (one
 *               transaction, the same vectors and keyword vectors)
 *   LangChain   LangChain.js PGVectorStore's way: multi-row `INSERT ... VALUES` with vectors as
 *               decimal text, 500 rows a statement
 *
 * Each write path loads into a database of its own on the server, created empty and checkpointed
 * before the load, so none pays for the table size or the WAL of another. The collections' HNSW
 * indexes are dropped for the load (as a bulk load builds them after), so this measures the write
 * path, not index maintenance (BENCH_HNSW=1 measures that apart). Every path must store the same
 * rows as the raw COPY, checked by a digest of each row's text, vector and keyword vector.
 *
 * Options (environment): DATABASE_URL (required), BENCH_ROWS (default 20000), BENCH_LANGCHAIN_ROWS
 * (default 5000), BENCH_CHUNKS_PER_PAGE (default 20), BENCH_DIMENSIONS (default 1536).
 */
import { createHash } from 'node:crypto';
import type { Database } from '../src/store/database.js';
import { ensureCollection, type Collection } from '../src/store/collections.js';
import { replaceDocument, replaceDocuments } from '../src/store/documents.js';
import { store } from '../src/stages/store.js';
import { copyBinary } from '../src/store/copy.js';
import { withTransaction } from '../src/store/transaction.js';
import { cosineOpsClass, sqlInt, vectorType } from '../src/store/vector-sql.js';
import { chunkKeywords } from '../src/text/keywords.js';
import { encodeTsvector } from '../src/store/encode-tsvector.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import type { EmbeddedChunk, EmbeddedDocument } from '../src/types.js';
import { printTable, scratchDatabase } from './common.js';
import { seededRandom } from '../test/support/seeded-random.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 20_000);
const LANGCHAIN_ROWS = Number(process.env.BENCH_LANGCHAIN_ROWS ?? 5_000);
const PER_PAGE = Number(process.env.BENCH_CHUNKS_PER_PAGE ?? 20);
const DIMENSIONS = Number(process.env.BENCH_DIMENSIONS ?? 1536);
const BATCH_PAGES = 50;

/** Pages as a source that yields as fast as it is read. */
async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

const WORDS = 'the of and to in is for on with as by that this from are be it an or at which can each page chunk vector search index server query token model embed store write read table column row batch copy binary text value result'.split(' ');

function makePages(): EmbeddedDocument[] {
  const rand = seededRandom(42);
  const pages: EmbeddedDocument[] = [];
  for (let p = 0; p * PER_PAGE < ROWS; p++) {
    const url = `https://docs.example.com/page-${p}`;
    const chunks: EmbeddedChunk[] = [];
    for (let i = 0; i < PER_PAGE && p * PER_PAGE + i < ROWS; i++) {
      // About 300 tokens of text, as a typical chunk.
      const text = Array.from({ length: 300 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
      const embedding = new Float32Array(DIMENSIONS);
      for (let d = 0; d < DIMENSIONS; d++) embedding[d] = rand() * 2 - 1;
      chunks.push({
        url,
        title: `Page ${p}`,
        ordinal: i,
        text,
        headingPath: [`Page ${p}`, `Section ${i}`],
        embeddingInput: text,
        tokenCount: 300,
        textHash: createHash('sha256').update(`${p}/${i}`).digest('hex'),
        metadata: { page: p },
        embedding,
        // As the chunk stage leaves it, like the vector the embed stage adds.
        keywords: chunkKeywords(`Page ${p}`, [`Page ${p}`, `Section ${i}`], text),
      });
    }
    pages.push({
      document: { url, title: `Page ${p}`, contentType: 'text/html', fetchedAt: new Date(), blocks: [], contentHash: String(p) },
      chunks,
      cachedChunks: 0,
      embeddedTokens: 0,
    });
  }
  return pages;
}

// Only the collection's record is needed: the rows bring their own (random) vectors.
const model = createLexicalEmbedding({ dimensions: DIMENSIONS });

/** A new collection: it has no HNSW index (one is built once it passes the threshold), as a bulk load wants. */
async function bulkCollection(db: Database, name: string): Promise<Collection> {
  return ensureCollection(db.pool, name, model);
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    console.log('bench:copy skipped: DATABASE_URL is not set (binary COPY needs a Postgres server).');
    return;
  }
  const pages = makePages();
  const rows = pages.flatMap((p) => p.chunks);
  console.log(`${rows.length} rows of ${DIMENSIONS}-d vectors, ~300-token texts, ${PER_PAGE} chunks a page, each write path into a fresh database on ${new URL(serverUrl).host}\n`);

  // The rows come as the chunk and embed stages leave them: vectors and keyword vectors worked out.
  // The raw COPY sends the same keyword vectors, so both pay the same GIN and TOAST work.
  const tsvBytes = pages.flatMap((p) => p.chunks.map((c) => encodeTsvector(c.keywords!)));

  /**
   * Time one write path in a database of its own — empty tables, as the first load into a
   * collection meets them, and a CHECKPOINT first so that no earlier load's writes are flushed
   * during this one — then fingerprint what it stored: text, vector and keyword vector of every row.
   */
  async function measure(load: (db: Database, c: Collection) => Promise<void>): Promise<{ seconds: number; stored: string }> {
    const db = await scratchDatabase(serverUrl, { maxConnections: 4 });
    try {
      // Warm-up: the connections and plan caches.
      const warm = await bulkCollection(db, 'warm');
      for (const p of pages.slice(0, 2)) await replaceDocument(db.pool, warm, { ...p, document: { ...p.document, url: `${p.document.url}?warm` } }, 'bench');
      const c = await bulkCollection(db, 'bench');
      await db.pool.query('CHECKPOINT');
      const seconds = await timed(() => load(db, c));
      const { rows: found } = await db.pool.query<{ n: number; md5: string }>(
        `SELECT count(*)::int AS n,
                md5(string_agg(md5(convert_to(d.source || '#' || k.ordinal || '#' || k.text, 'UTF8') || vector_send(k.embedding) || tsvectorsend(k.tsv)), '' ORDER BY d.source, k.ordinal)) AS md5
           FROM chunks k JOIN documents d ON d.id = k.document_id WHERE k.collection_id = $1`,
        [c.id],
      );
      if (found[0]!.n !== rows.length) throw new Error(`a write path stored ${found[0]!.n} rows, expected ${rows.length}`);
      return { seconds, stored: found[0]!.md5 };
    } finally {
      await db.close();
    }
  }

  const raw = await measure(async (db, c) => {
    await withTransaction(db.pool, async (client) => {
      const { rows: docs } = await client.query<{ id: string; source: string }>(
        `INSERT INTO documents (collection_id, source, content_hash, fetched_at)
         SELECT $1, s, s, now() FROM unnest($2::text[]) s RETURNING id, source`,
        [c.id, pages.map((p) => p.document.url)],
      );
      const idOf = new Map(docs.map((d) => [d.source, Number(d.id)]));
      const ids = pages.map((p) => idOf.get(p.document.url)!);
      let n = 0;
      const all = pages.flatMap((p, i) => p.chunks.map((k) => [ids[i]!, k, tsvBytes[n++]!] as const));
      await copyBinary(client, 'chunks (collection_id, document_id, ordinal, text, token_count, heading_path, text_hash, metadata, embedding, tsv)', all, (w, [docId, k, tsv]) => {
        w.row(10).int8(c.id).int8(docId).int4(k.ordinal).text(k.text).int4(k.tokenCount).textArray(k.headingPath).text(k.textHash).jsonb(k.metadata).vector(k.embedding).field(tsv);
      });
    });
  });
  const rawS = raw.seconds;

  // What one ingest does: the store stage, fed as fast as it takes pages (as by a warm cache or
  // a fast embedding API), batching what arrives during its writes, two writes in flight.
  const stage = await measure(async (db, c) => {
    for await (const _ of store(fromArray(pages), { pool: db.pool, collection: c, chunking: 'bench' }));
  });
  const batchedS = stage.seconds;

  // The same with one write in flight: what the second connection adds.
  const single = await measure(async (db, c) => {
    for await (const _ of store(fromArray(pages), { pool: db.pool, collection: c, chunking: 'bench', maxWritesInFlight: 1 }));
  });
  const singleS = single.seconds;

  // Two ingests at once (two jobs on a worker, or two workers), each with its own store stage.
  const parallel = await measure(async (db, c) => {
    const half = Math.ceil(pages.length / 2);
    await Promise.all(
      [pages.slice(0, half), pages.slice(half)].map(async (part) => {
        for await (const _ of store(fromArray(part), { pool: db.pool, collection: c, chunking: 'bench' }));
      }),
    );
  });
  const parallelS = parallel.seconds;

  // Chunks that arrive without keyword vectors (from user code, say): the store works them out on
  // its way to the database.
  const bare = pages.map((p) => ({ ...p, chunks: p.chunks.map(({ keywords: _, ...c }) => c) }));
  const analysing = await measure(async (db, c) => {
    for await (const _ of store(fromArray(bare), { pool: db.pool, collection: c, chunking: 'bench' }));
  });

  const perPage = await measure(async (db, c) => {
    for (const p of pages) await replaceDocument(db.pool, c, p, 'bench');
  });
  const perPageS = perPage.seconds;

  for (const [name, m] of [['the store stage', stage], ['one write in flight', single], ['two ingests', parallel], ['analysing keywords', analysing], ['one page a write', perPage]] as const) {
    if (m.stored !== raw.stored) throw new Error(`${name} stored other rows than the raw COPY (text, vector or keyword vector differ)`);
  }

  // LangChain.js PGVectorStore: CREATE TABLE with a uuid id, then INSERT ... VALUES ($1, $2, $3), ...
  // with `[${embedding.join(',')}]` — the float32s widened to doubles, ~19 characters each.
  const lcRows = rows.slice(0, LANGCHAIN_ROWS);
  const lcDb = await scratchDatabase(serverUrl);
  let langchainS: number;
  try {
    await lcDb.pool.query(`CREATE TABLE langchain_pg_embedding (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), content text, metadata jsonb, embedding vector)`);
    await lcDb.pool.query('CHECKPOINT');
    langchainS = await timed(async () => {
      for (let i = 0; i < lcRows.length; i += 500) {
        const batch = lcRows.slice(i, i + 500);
        const values = batch.map((_, j) => `($${3 * j + 1}, $${3 * j + 2}, $${3 * j + 3}::vector)`).join(', ');
        const params = batch.flatMap((c) => [c.text, JSON.stringify(c.metadata), `[${Array.from(c.embedding).join(',')}]`]);
        await lcDb.pool.query(`INSERT INTO langchain_pg_embedding (content, metadata, embedding) VALUES ${values}`, params);
      }
    });
  } finally {
    await lcDb.close();
  }

  // Index maintenance, apart: the same load into a collection that keeps its HNSW index, against
  // building the index once after the load.
  let indexed: { withIndexS: number; buildS: number } | undefined;
  if (process.env.BENCH_HNSW === '1') {
    const db = await scratchDatabase(serverUrl, { maxConnections: 4 });
    try {
      const withIndex = await ensureCollection(db.pool, 'indexed', model);
      const withIndexS = await timed(async () => {
        for (let i = 0; i < pages.length; i += BATCH_PAGES) await replaceDocuments(db.pool, withIndex, pages.slice(i, i + BATCH_PAGES), 'bench');
      });
      const c = await bulkCollection(db, 'deferred');
      for (let i = 0; i < pages.length; i += BATCH_PAGES) await replaceDocuments(db.pool, c, pages.slice(i, i + BATCH_PAGES), 'bench');
      const buildS = await timed(async () => {
        await db.pool.query(
          `CREATE INDEX chunks_embedding_c${sqlInt(c.id)}_idx ON chunks USING hnsw ((embedding::${vectorType(DIMENSIONS)}) ${cosineOpsClass(DIMENSIONS)}) WHERE collection_id = ${sqlInt(c.id)}`,
        );
      });
      indexed = { withIndexS, buildS };
    } finally {
      await db.close();
    }
  }

  const rate = (n: number, s: number) => Math.round(n / s);
  printTable([
    ['write path', 'rows', 'seconds', 'rows/s', 'vs raw COPY'],
    ['raw binary COPY (same rows, one COPY)', rows.length, rawS.toFixed(2), rate(rows.length, rawS), '1.00'],
    ['ragline store stage (one ingest)', rows.length, batchedS.toFixed(2), rate(rows.length, batchedS), (rawS / batchedS).toFixed(2)],
    ['ragline store stage, one write in flight', rows.length, singleS.toFixed(2), rate(rows.length, singleS), (rawS / singleS).toFixed(2)],
    ['ragline store stage, two ingests at once', rows.length, parallelS.toFixed(2), rate(rows.length, parallelS), (rawS / parallelS).toFixed(2)],
    ['ragline store stage, analysing keywords itself', rows.length, analysing.seconds.toFixed(2), rate(rows.length, analysing.seconds), (rawS / analysing.seconds).toFixed(2)],
    ['ragline replaceDocument (1 page a write)', rows.length, perPageS.toFixed(2), rate(rows.length, perPageS), (rawS / perPageS).toFixed(2)],
    ['LangChain-style multi-row INSERT', lcRows.length, langchainS.toFixed(2), rate(lcRows.length, langchainS), (rate(lcRows.length, langchainS) / rate(rows.length, rawS)).toFixed(2)],
  ]);
  console.log(
    `\nCOPY ratio ragline / raw COPY: ${(rawS / batchedS).toFixed(2)} (one ingest; target >= 0.70); one write in flight ${(rawS / singleS).toFixed(2)}; analysing keywords in the write path ${(rawS / analysing.seconds).toFixed(2)}; two ingests at once ${(rawS / parallelS).toFixed(2)}; one page a write ${(rawS / perPageS).toFixed(2)}`,
  );
  console.log('checked: every write path stored the same rows as the raw COPY (text, vector and keyword vector of each)');
  if (indexed) {
    console.log(
      `HNSW index: load with the index kept up row by row ${indexed.withIndexS.toFixed(1)} s; load without it ${batchedS.toFixed(1)} s + build after ${indexed.buildS.toFixed(1)} s = ${(batchedS + indexed.buildS).toFixed(1)} s`,
    );
  } else console.log('HNSW index maintenance: not measured (BENCH_HNSW=1 to measure it; minutes for 20k rows here)');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
