/**
 * `npm run bench:copy`: rows/s of 1536-d chunk rows into one Postgres server, in one run —
 *
 *   ragline     the write path of an ingest: the store stage, fed as fast as it takes pages. Each
 *               write is a transaction that upserts its documents, deletes their old chunks and
 *               binary-COPYs the new ones, analysing each chunk's keyword vector on the way; the
 *               stage batches the pages that arrive during its writes, two writes in flight.
 *               Also: two ingests at once, and one page per write (what a slow source gets).
 *   raw COPY    one binary COPY of the same rows straight into the chunks table (one
 *               transaction; keyword vectors computed beforehand, untimed)
 *   LangChain   LangChain.js PGVectorStore's way: multi-row `INSERT ... VALUES` with vectors as
 *               decimal text, 500 rows a statement
 *
 * The collections' HNSW indexes are dropped for the load (as a bulk load builds them after), so
 * the three measure the write path, not index maintenance; the HNSW build time is printed apart.
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
import { chunkKeywords, encodeTsvector } from '../src/store/keywords.js';
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

async function bulkCollection(db: Database, name: string): Promise<Collection> {
  const c = await ensureCollection(db.pool, name, model);
  await db.pool.query(`DROP INDEX chunks_embedding_c${sqlInt(c.id)}_idx`);
  return c;
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
  const db = await scratchDatabase(serverUrl, { maxConnections: 4 });
  try {
    const pages = makePages();
    const rows = pages.flatMap((p) => p.chunks);
    console.log(`${rows.length} rows of ${DIMENSIONS}-d vectors, ~300-token texts, ${PER_PAGE} chunks a page, into ${db.description}\n`);

    // The keyword vectors ragline computes (in its timed write path), made here untimed, so that the
    // raw COPY writes the very same rows — and pays the same GIN and TOAST work — computing nothing.
    const tsvBytes = pages.flatMap((p) => p.chunks.map((c) => encodeTsvector(chunkKeywords(p.document.title, c.headingPath, c.text))));

    // Warm-up: the connection, the staging table, plan caches.
    const warm = await bulkCollection(db, 'warm');
    for (const p of pages.slice(0, 5)) await replaceDocument(db.pool, warm, p, 'bench');

    const raw = await bulkCollection(db, 'raw');
    const rawS = await timed(async () => {
      await withTransaction(db.pool, async (client) => {
        const { rows: docs } = await client.query<{ id: string; source: string }>(
          `INSERT INTO documents (collection_id, source, content_hash, fetched_at)
           SELECT $1, s, s, now() FROM unnest($2::text[]) s RETURNING id, source`,
          [raw.id, pages.map((p) => p.document.url)],
        );
        const idOf = new Map(docs.map((d) => [d.source, Number(d.id)]));
        const ids = pages.map((p) => idOf.get(p.document.url)!);
        let n = 0;
        const all = pages.flatMap((p, i) => p.chunks.map((c) => [ids[i]!, c, tsvBytes[n++]!] as const));
        await copyBinary(client, 'chunks (collection_id, document_id, ordinal, text, token_count, heading_path, text_hash, metadata, embedding, tsv)', all, (w, [docId, c, tsv]) => {
          w.row(10).int8(raw.id).int8(docId).int4(c.ordinal).text(c.text).int4(c.tokenCount).textArray(c.headingPath).text(c.textHash).jsonb(c.metadata).vector(c.embedding).field(tsv);
        });
      });
    });

    const perPage = await bulkCollection(db, 'ragline-page');
    const perPageS = await timed(async () => {
      for (const p of pages) await replaceDocument(db.pool, perPage, p, 'bench');
    });

    // What one ingest does: the store stage, fed as fast as it takes pages (as by a warm cache or
    // a fast embedding API), batching what arrives during its writes, two writes in flight.
    const batched = await bulkCollection(db, 'ragline-stage');
    const batchedS = await timed(async () => {
      for await (const _ of store(fromArray(pages), { pool: db.pool, collection: batched, chunking: 'bench' }));
    });

    // The same with one write in flight: what the second connection adds.
    const single = await bulkCollection(db, 'ragline-stage-1');
    const singleS = await timed(async () => {
      for await (const _ of store(fromArray(pages), { pool: db.pool, collection: single, chunking: 'bench', maxWritesInFlight: 1 }));
    });

    // Two ingests at once (two jobs on a worker, or two workers), each with its own store stage.
    const parallel = await bulkCollection(db, 'ragline-2-ingests');
    const parallelS = await timed(async () => {
      const half = Math.ceil(pages.length / 2);
      await Promise.all(
        [pages.slice(0, half), pages.slice(half)].map(async (part) => {
          for await (const _ of store(fromArray(part), { pool: db.pool, collection: parallel, chunking: 'bench' }));
        }),
      );
    });

    // LangChain.js PGVectorStore: CREATE TABLE with a uuid id, then INSERT ... VALUES ($1, $2, $3), ...
    // with `[${embedding.join(',')}]` — the float32s widened to doubles, ~19 characters each.
    await db.pool.query(`CREATE TABLE langchain_pg_embedding (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), content text, metadata jsonb, embedding vector)`);
    const lcRows = rows.slice(0, LANGCHAIN_ROWS);
    const langchainS = await timed(async () => {
      for (let i = 0; i < lcRows.length; i += 500) {
        const batch = lcRows.slice(i, i + 500);
        const values = batch.map((_, j) => `($${3 * j + 1}, $${3 * j + 2}, $${3 * j + 3}::vector)`).join(', ');
        const params = batch.flatMap((c) => [c.text, JSON.stringify(c.metadata), `[${Array.from(c.embedding).join(',')}]`]);
        await db.pool.query(`INSERT INTO langchain_pg_embedding (content, metadata, embedding) VALUES ${values}`, params);
      }
    });

    const { rows: check } = await db.pool.query<{ name: string; n: number; same_tsv: boolean }>(
      `SELECT c.name, count(k.id)::int AS n FROM collections c LEFT JOIN chunks k ON k.collection_id = c.id
        WHERE c.name IN ('raw', 'ragline-page', 'ragline-stage', 'ragline-stage-1', 'ragline-2-ingests') GROUP BY c.name ORDER BY c.name`,
    );
    for (const r of check) if (r.n !== rows.length) throw new Error(`${r.name} holds ${r.n} rows, expected ${rows.length}`);
    const { rows: diff } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM chunks a JOIN documents da ON da.id = a.document_id
         JOIN documents db ON db.source = da.source AND db.collection_id = $2
         JOIN chunks b ON b.document_id = db.id AND b.ordinal = a.ordinal
        WHERE a.collection_id = $1 AND (a.tsv <> b.tsv OR a.embedding <> b.embedding OR a.text <> b.text)`,
      [raw.id, batched.id],
    );
    if (diff[0]!.n !== 0) throw new Error(`${diff[0]!.n} rows differ between the raw COPY and ragline`);

    // Index maintenance, apart: the same load into a collection that keeps its HNSW index, against
    // building the index once after the load.
    let indexed: { withIndexS: number; buildS: number } | undefined;
    if (process.env.BENCH_HNSW === '1') {
      const withIndex = await ensureCollection(db.pool, 'ragline-indexed', model);
      const withIndexS = await timed(async () => {
        for (let i = 0; i < pages.length; i += BATCH_PAGES) await replaceDocuments(db.pool, withIndex, pages.slice(i, i + BATCH_PAGES), 'bench');
      });
      const buildS = await timed(async () => {
        await db.pool.query(
          `CREATE INDEX chunks_embedding_c${sqlInt(batched.id)}_idx ON chunks USING hnsw ((embedding::${vectorType(DIMENSIONS)}) ${cosineOpsClass(DIMENSIONS)}) WHERE collection_id = ${sqlInt(batched.id)}`,
        );
      });
      indexed = { withIndexS, buildS };
    }

    const rate = (n: number, s: number) => Math.round(n / s);
    printTable([
      ['write path', 'rows', 'seconds', 'rows/s', 'vs raw COPY'],
      ['raw binary COPY (same rows, one COPY)', rows.length, rawS.toFixed(2), rate(rows.length, rawS), '1.00'],
      ['ragline store stage (one ingest)', rows.length, batchedS.toFixed(2), rate(rows.length, batchedS), (rawS / batchedS).toFixed(2)],
      ['ragline store stage, one write in flight', rows.length, singleS.toFixed(2), rate(rows.length, singleS), (rawS / singleS).toFixed(2)],
      ['ragline store stage, two ingests at once', rows.length, parallelS.toFixed(2), rate(rows.length, parallelS), (rawS / parallelS).toFixed(2)],
      ['ragline replaceDocument (1 page a write)', rows.length, perPageS.toFixed(2), rate(rows.length, perPageS), (rawS / perPageS).toFixed(2)],
      ['LangChain-style multi-row INSERT', lcRows.length, langchainS.toFixed(2), rate(lcRows.length, langchainS), (rate(lcRows.length, langchainS) / rate(rows.length, rawS)).toFixed(2)],
    ]);
    console.log(
      `\nCOPY ratio ragline / raw COPY: ${(rawS / batchedS).toFixed(2)} (one ingest; target >= 0.70); one write in flight ${(rawS / singleS).toFixed(2)}; two ingests at once ${(rawS / parallelS).toFixed(2)}; one page a write ${(rawS / perPageS).toFixed(2)}`,
    );
    console.log('checked: every collection holds the same rows; raw COPY and the store stage wrote identical text, vectors and keyword vectors');
    if (indexed) {
      console.log(
        `HNSW index: load with the index kept up row by row ${indexed.withIndexS.toFixed(1)} s; load without it ${batchedS.toFixed(1)} s + build after ${indexed.buildS.toFixed(1)} s = ${(batchedS + indexed.buildS).toFixed(1)} s`,
      );
    } else console.log('HNSW index maintenance: not measured (BENCH_HNSW=1 to measure it; minutes for 20k rows here)');
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
