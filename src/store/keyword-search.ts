/** The keyword retriever's SQL: full-text matches of a collection's chunks, best `ts_rank_cd` first. */
import type pg from 'pg';
import type { Collection } from './collections.js';
import { sqlInt } from './vector-sql.js';
import { CHUNK_COLUMNS, metadataWhere, toStoredChunk, type ChunkQueryOptions, type ChunkRow, type StoredChunk } from './chunk-rows.js';

/**
 * The chunks matching a `tsquery` (as text, from `keywordQuery`), best first; ties by chunk id
 * so the order is stable.
 */
export async function keywordMatches(pool: pg.Pool, collection: Collection, tsquery: string, options: ChunkQueryOptions): Promise<StoredChunk[]> {
  const { limit } = options;
  const where = metadataWhere(options, 3);
  const res = await pool.query<ChunkRow>(
    `SELECT ${CHUNK_COLUMNS}
       FROM chunks k JOIN documents d ON d.id = k.document_id, CAST($1 AS tsquery) q
      WHERE k.collection_id = ${sqlInt(collection.id)} AND k.tsv @@ q${where.sql}
      ORDER BY ts_rank_cd(k.tsv, q, 1) DESC, k.id
      LIMIT $2`,
    [tsquery, limit, ...where.params],
  );
  return res.rows.map(toStoredChunk);
}
