/**
 * The vector retriever's SQL: the nearest chunks of a collection by cosine distance, through the
 * collection's partial HNSW index (the `<=>` operator matches its `vector_cosine_ops` class).
 */
import type pg from 'pg';
import type { Collection } from './collections.js';
import { sqlInt, toVectorText, vectorType } from './vector-sql.js';
import { withTransaction } from './transaction.js';
import { CHUNK_COLUMNS, metadataWhere, toStoredChunk, type ChunkRow, type ChunkQueryOptions, type StoredChunk } from './chunk-rows.js';

/** pgvector's version on a pool's database, read once per pool. */
const vectorVersions = new WeakMap<pg.Pool, Promise<number[]>>();

async function vectorVersion(pool: pg.Pool): Promise<number[]> {
  let version = vectorVersions.get(pool);
  if (!version) {
    version = pool
      .query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'`)
      .then(({ rows }) => (rows[0]?.v ?? '0').split('.').map(Number));
    vectorVersions.set(pool, version);
    version.catch(() => vectorVersions.delete(pool));
  }
  return version;
}

/** Whether the server's pgvector has iterative index scans (0.8.0 and later). */
export async function hasIterativeScan(pool: pg.Pool): Promise<boolean> {
  const [major = 0, minor = 0] = await vectorVersion(pool);
  return major > 0 || minor >= 8;
}

/** A chunk found by the vector retriever, with its cosine distance to the query. */
export interface NearChunk extends StoredChunk {
  distance: number;
}

/** Options of {@link nearestChunks}. */
export interface NearestChunksOptions extends ChunkQueryOptions {
  /** HNSW candidate list size (checked by the caller). */
  efSearch: number;
}

/**
 * The `limit` chunks nearest to `vector`, closest first. With a filter, pgvector ≥ 0.8 scans the
 * index iteratively until `limit` rows pass it; before 0.8 ef_search is widened instead.
 */
export async function nearestChunks(pool: pg.Pool, collection: Collection, vector: Float32Array, options: NearestChunksOptions): Promise<NearChunk[]> {
  const { limit, efSearch } = options;
  const filtered = options.filter !== undefined || (options.conditions?.length ?? 0) > 0;
  const where = metadataWhere(options, 3);
  const type = vectorType(collection.dimensions);
  const iterative = await hasIterativeScan(pool);
  const rows = await withTransaction(pool, async (client) => {
    // pgvector's cost estimate grows with ef_search: at 100k chunks and ef_search 200 the planner
    // preferred an exact sequential scan, ~100x slower (bench/search-scale.ts). A collection
    // with an index is searched through it; without one (a deferred bulk load) the scan is exact.
    // Bitmap scans stay allowed, so a selective metadata filter can still use its GIN index.
    await client.query('SET LOCAL enable_seqscan = off');
    if (iterative) {
      // relaxed_order may return neighbours slightly out of order: they are sorted below.
      await client.query(`SELECT set_config('hnsw.ef_search', $1, true), set_config('hnsw.iterative_scan', 'relaxed_order', true)`, [String(efSearch)]);
    } else {
      const wanted = filtered ? 4 * limit : limit;
      await client.query(`SELECT set_config('hnsw.ef_search', $1, true)`, [String(Math.min(1000, Math.max(efSearch, wanted)))]);
    }
    // The collection id and type are inlined, not bound: the planner can only use the
    // collection's partial index when it sees the literal of its WHERE clause.
    const res = await client.query<ChunkRow & { distance: number }>(
      `SELECT ${CHUNK_COLUMNS}, k.embedding::${type} <=> $1::${type} AS distance
         FROM chunks k JOIN documents d ON d.id = k.document_id
        WHERE k.collection_id = ${sqlInt(collection.id)}${where.sql}
        ORDER BY k.embedding::${type} <=> $1::${type}
        LIMIT $2`,
      [toVectorText(vector), limit, ...where.params],
    );
    return res.rows;
  });
  return rows.map((r) => ({ ...toStoredChunk(r), distance: Number(r.distance) })).sort((a, b) => a.distance - b.distance);
}
