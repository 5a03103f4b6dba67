/**
 * `npm run bench:index-threshold`: where an exact scan and an HNSW index cross, on the embedded
 * database and (with DATABASE_URL) the server — to pick `INDEX_DEFAULTS.minChunks` per backend.
 *
 * For 1024-d and 1536-d vectors, a collection grows to each size of BENCH_SIZES (default
 * 1000,5000,20000 chunks; random vectors made in SQL). At each size: the mean of BENCH_QUERIES
 * (default 10) exact searches (no index), the time to build the HNSW index once
 * (`buildCollectionIndex`), the mean search through it, then the index is dropped again. Searches
 * go through `nearestChunks`, the production query. On the embedded database the index is only
 * built up to BENCH_PGLITE_INDEX_MAX chunks (default 5000): its WASM build is slow.
 */
import { buildCollectionIndex, dropCollectionIndex, ensureCollection } from '../src/store/collections.js';
import { nearestChunks } from '../src/store/vector-search.js';
import type { Database } from '../src/store/database.js';
import type { EmbeddingModel } from '../src/models/spec.js';
import { printTable, scratchDatabase } from './common.js';

const SIZES = (process.env.BENCH_SIZES ?? '1000,5000,20000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 10);
const PGLITE_INDEX_MAX = Number(process.env.BENCH_PGLITE_INDEX_MAX ?? 5000);
const DIMS = (process.env.BENCH_DIMENSIONS ?? '1024,1536').split(',').map(Number);

function model(dimensions: number): EmbeddingModel {
  return { provider: 'bench', modelId: `random-${dimensions}`, dimensions, encoding: 'cl100k_base', maxInputTokens: 8191, maxBatchSize: 512, embed: () => Promise.reject(new Error('not used')) } as unknown as EmbeddingModel;
}

function randomVector(d: number): Float32Array {
  const v = new Float32Array(d);
  for (let i = 0; i < d; i++) v[i] = Math.random() - 0.5;
  return v;
}

async function meanSearchMs(db: Database, collection: Parameters<typeof nearestChunks>[1], d: number): Promise<number> {
  await nearestChunks(db.pool, collection, randomVector(d), { limit: 10, efSearch: 40 }); // warm-up
  const started = performance.now();
  for (let q = 0; q < QUERIES; q++) await nearestChunks(db.pool, collection, randomVector(d), { limit: 10, efSearch: 40 });
  return (performance.now() - started) / QUERIES;
}

async function grow(db: Database, collectionId: number, documentId: number, from: number, to: number, d: number): Promise<void> {
  for (let start = from; start < to; start += 1000) {
    const end = Math.min(to, start + 1000);
    await db.pool.query(
      `INSERT INTO chunks (collection_id, document_id, ordinal, text, token_count, text_hash, embedding, tsv)
       SELECT $1, $2, g, 'chunk ' || g, 2, md5(g::text), (SELECT array_agg(random() - 0.5) FROM generate_series(1, $5) WHERE g >= 0)::vector, to_tsvector('simple', 'chunk')
         FROM generate_series($3::int, $4::int - 1) g`,
      [collectionId, documentId, start, end, d],
    );
  }
  await db.pool.query('ANALYZE chunks');
}

async function run(store: string, url: string | undefined, rows: Array<Array<string | number>>): Promise<void> {
  for (const d of DIMS) {
    const db = await scratchDatabase(url);
    try {
      const collection = await ensureCollection(db.pool, `t${d}`, model(d));
      await dropCollectionIndex(db.pool, collection);
      const { rows: docs } = await db.pool.query<{ id: string }>(
        `INSERT INTO documents (collection_id, source, content_hash, fetched_at) VALUES ($1, 'bench://doc', 'x', now()) RETURNING id`,
        [collection.id],
      );
      let have = 0;
      for (const n of SIZES) {
        const t0 = performance.now();
        await grow(db, collection.id, Number(docs[0]!.id), have, n, d);
        const loadS = (performance.now() - t0) / 1000;
        have = n;
        const exact = await meanSearchMs(db, collection, d);
        let build = '-';
        let hnsw = '-';
        if (store === 'server' || n <= PGLITE_INDEX_MAX) {
          const t1 = performance.now();
          await buildCollectionIndex(db.pool, collection);
          build = ((performance.now() - t1) / 1000).toFixed(1);
          hnsw = (await meanSearchMs(db, collection, d)).toFixed(1);
          await dropCollectionIndex(db.pool, collection);
        }
        rows.push([store, d, n, loadS.toFixed(1), exact.toFixed(1), hnsw, build]);
        console.log(rows.at(-1)!.join('\t'));
      }
    } finally {
      await db.close();
    }
  }
}

async function main(): Promise<void> {
  const rows: Array<Array<string | number>> = [['store', 'dims', 'chunks', 'load s', 'exact search ms', 'HNSW search ms', 'HNSW build s']];
  await run('embedded', undefined, rows);
  if (process.env.DATABASE_URL) await run('server', process.env.DATABASE_URL, rows);
  else console.log('server: skipped (DATABASE_URL not set)');
  printTable(rows);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
