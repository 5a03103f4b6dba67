import type pg from 'pg';
import { ConfigError, describeValue } from '../errors.js';
import type { Collection } from './collections.js';
import { sqlInt, toVectorText, vectorType } from './vector-sql.js';
import { withTransaction } from './transaction.js';

/** How to retrieve. */
export interface SearchOptions {
  /**
   * Results to return.
   * @default 5
   */
  k?: number;
  /**
   * Candidates each retriever contributes before fusion.
   * @default max(4k, 40)
   */
  candidates?: number;
  /**
   * `hybrid` fuses vector and keyword rankings; `vector` and `keyword` use one.
   * @default 'hybrid'
   */
  mode?: 'hybrid' | 'vector' | 'keyword';
  /**
   * The constant of reciprocal rank fusion: score = Σ 1 / (rrfK + rank).
   * @default 60
   */
  rrfK?: number;
}

/** One retrieved chunk. */
export interface SearchResult {
  chunkId: number;
  url: string;
  title: string;
  headingPath: string[];
  ordinal: number;
  text: string;
  tokenCount: number;
  metadata: Record<string, unknown>;
  /** Fused score (higher is better); for a single mode, the same formula over one ranking. */
  score: number;
  /** Cosine distance to the question, when the vector retriever found the chunk. */
  distance?: number;
  /** 1-based ranks in each retriever, when found there. */
  vectorRank?: number;
  keywordRank?: number;
}

type Row = {
  id: string;
  url: string;
  title: string;
  heading_path: string[];
  ordinal: number;
  text: string;
  token_count: number;
  metadata: Record<string, unknown>;
  distance?: number;
};

const COLUMNS = `k.id, d.source AS url, d.title, k.heading_path, k.ordinal, k.text, k.token_count, k.metadata`;

/** A tsquery matching any of the question's words (Postgres drops stop words and stems the rest). */
export function keywordQuery(question: string): string {
  const words = [...new Set(question.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  return words.join(' | ');
}

/**
 * Top chunks of a collection for a question: the nearest vectors by cosine distance (through the
 * collection's HNSW index) and the best full-text matches, fused by reciprocal rank.
 */
export async function searchChunks(
  pool: pg.Pool,
  collection: Collection,
  query: { vector?: Float32Array; text: string },
  options: SearchOptions = {},
): Promise<SearchResult[]> {
  const k = options.k ?? 5;
  if (!Number.isInteger(k) || k < 1 || k > 1000) {
    throw new ConfigError('k', k, `Expected \`k\` to be an integer from 1 to 1000, got ${describeValue(k)}.`);
  }
  const mode = options.mode ?? 'hybrid';
  const candidates = Math.max(options.candidates ?? Math.max(4 * k, 40), k);
  const rrfK = options.rrfK ?? 60;
  // The collection id and dimensions are inlined, not bound: the planner can only use the
  // collection's partial index when it sees the literal of its WHERE clause.
  const id = sqlInt(collection.id);
  const type = vectorType(collection.dimensions);

  let vectorRows: Row[] = [];
  let keywordRows: Row[] = [];
  if (mode !== 'keyword') {
    if (!query.vector) throw new ConfigError('vector', undefined, 'A vector or hybrid search needs the question embedded.');
    const vector = toVectorText(query.vector);
    vectorRows = await withTransaction(pool, async (client) => {
      // HNSW returns at most ef_search rows; ask for at least as many as we want candidates.
      await client.query(`SELECT set_config('hnsw.ef_search', $1, true)`, [String(Math.max(candidates, 40))]);
      const res = await client.query<Row>(
        `SELECT ${COLUMNS}, k.embedding::${type} <=> $1::${type} AS distance
           FROM chunks k JOIN documents d ON d.id = k.document_id
          WHERE k.collection_id = ${id}
          ORDER BY k.embedding::${type} <=> $1::${type}
          LIMIT $2`,
        [vector, candidates],
      );
      return res.rows;
    });
  }
  const tsquery = keywordQuery(query.text);
  if (mode !== 'vector' && tsquery) {
    const res = await pool.query<Row>(
      `SELECT ${COLUMNS}
         FROM chunks k JOIN documents d ON d.id = k.document_id, to_tsquery('english', $1) q
        WHERE k.collection_id = ${id} AND k.tsv @@ q
        ORDER BY ts_rank_cd(k.tsv, q, 1) DESC, k.id
        LIMIT $2`,
      [tsquery, candidates],
    );
    keywordRows = res.rows;
  }

  const fused = new Map<string, SearchResult>();
  const add = (rows: Row[], which: 'vectorRank' | 'keywordRank') => {
    rows.forEach((r, i) => {
      const rank = i + 1;
      let result = fused.get(r.id);
      if (!result) {
        result = {
          chunkId: Number(r.id),
          url: r.url,
          title: r.title,
          headingPath: r.heading_path,
          ordinal: r.ordinal,
          text: r.text,
          tokenCount: r.token_count,
          metadata: r.metadata,
          score: 0,
        };
        fused.set(r.id, result);
      }
      result[which] = rank;
      if (r.distance !== undefined && r.distance !== null) result.distance = Number(r.distance);
      result.score += 1 / (rrfK + rank);
    });
  };
  add(vectorRows, 'vectorRank');
  add(keywordRows, 'keywordRank');
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || (a.vectorRank ?? Infinity) - (b.vectorRank ?? Infinity))
    .slice(0, k);
}
