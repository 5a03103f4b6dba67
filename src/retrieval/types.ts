/** What retrieval takes and gives. */
import type { Reranker } from '../models/spec.js';
import type { StoredChunk } from '../store/chunk-rows.js';
import type { NoiseReason } from './noise.js';
import type { MetadataCondition } from '../store/metadata-sql.js';

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
  /**
   * HNSW candidate list size for this search: higher finds more of the true nearest neighbours,
   * slower.
   * @default the collection's `efSearch`, else 40 (pgvector's default)
   */
  efSearch?: number;
  /**
   * Only chunks whose metadata contains this JSON (`metadata @> filter`): `{ version: '3.14' }`,
   * `{ speakers: ['Ana'] }`. Still returns `k` results when that many match: on pgvector 0.8 and
   * later the HNSW scan goes on until enough rows pass the filter (iterative scan); before 0.8 it
   * widens its candidate list instead.
   */
  filter?: Record<string, unknown>;
  /**
   * Conditions on chunk metadata, all of which must hold: expressions `key=value`, `key!=value`,
   * `key in a,b`, `key>=3`, `key<2024-01-01` (ranges on numbers and ISO dates), or the same as data.
   * `=` and `in` use the metadata index; `!=` and ranges are checked on the rows found.
   */
  where?: ReadonlyArray<string | MetadataCondition>;
  /**
   * Reorders the best fused candidates by relevance to the query before the top `k` are taken.
   * @default none
   */
  reranker?: Reranker;
  /**
   * Fused candidates given to the reranker.
   * @default max(30, k)
   */
  rerankCandidates?: number;
  /**
   * At most this many passages of one page in the top `k`, so the results span several pages;
   * when fewer than `k` pages match, the best passages held back fill the rest. 0 turns it off.
   * @default 1 (2 for `ask`)
   */
  maxPerPage?: number;
  /**
   * Keep generated index, search and 404 pages and link-list passages where they rank. By default
   * they are moved below every other passage (still returned when nothing else matches).
   * @default false
   */
  keepNoisePages?: boolean;
}

/** One retrieved chunk. */
export interface SearchResult extends StoredChunk {
  /**
   * Fused score (higher is better); for a single mode, the same formula over one ranking. With a
   * reranker, its relevance score.
   */
  score: number;
  /** Cosine distance to the question, when the vector retriever found the chunk. */
  distance?: number;
  /** 1-based ranks in each retriever, when found there. */
  vectorRank?: number;
  keywordRank?: number;
  /** The reranker's relevance score, when one reordered the results. */
  relevanceScore?: number;
  /** Why the passage was ranked below the others as noise (see `keepNoisePages`). */
  noise?: NoiseReason;
}

/** A ranking of one retriever, best first. */
export interface Ranking {
  retriever: 'vector' | 'keyword';
  chunks: ReadonlyArray<StoredChunk & { distance?: number }>;
}
