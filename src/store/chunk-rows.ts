/** The chunk columns retrievers read, and their plain-data shape. */
import { conditionsSql, type MetadataCondition } from './metadata-sql.js';

/** A stored chunk with its document's URL and title. */
export interface StoredChunk {
  chunkId: number;
  url: string;
  title: string;
  headingPath: string[];
  ordinal: number;
  text: string;
  tokenCount: number;
  metadata: Record<string, unknown>;
}

/** What every retriever query takes. */
export interface ChunkQueryOptions {
  /** Rows to return. */
  limit: number;
  /** Only chunks whose metadata contains this JSON (`metadata @> filter`); checked by the caller. */
  filter?: Record<string, unknown>;
  /** Further conditions on metadata (`!=`, `in`, ranges), all of which must hold. */
  conditions?: readonly MetadataCondition[];
}

/** A row of {@link CHUNK_COLUMNS}. */
export interface ChunkRow {
  id: string;
  url: string;
  title: string;
  heading_path: string[];
  ordinal: number;
  text: string;
  token_count: number;
  metadata: Record<string, unknown>;
}

/** Columns of `chunks k JOIN documents d`. */
export const CHUNK_COLUMNS = `k.id, d.source AS url, d.title, k.heading_path, k.ordinal, k.text, k.token_count, k.metadata`;

/**
 * The URL a chunk is cited by: its document's, with `#page=N` for a chunk of a paged document (a
 * PDF's chunks carry `metadata.page`), so a link opens the page the passage starts on.
 */
export function chunkUrl(documentUrl: string, metadata: Record<string, unknown> | null | undefined): string {
  const page = metadata?.page;
  return typeof page === 'number' && Number.isInteger(page) && page > 0 && !documentUrl.includes('#') ? `${documentUrl}#page=${page}` : documentUrl;
}

export function toStoredChunk(r: ChunkRow): StoredChunk {
  return {
    chunkId: Number(r.id),
    url: chunkUrl(r.url, r.metadata),
    title: r.title,
    headingPath: r.heading_path,
    ordinal: r.ordinal,
    text: r.text,
    tokenCount: r.token_count,
    metadata: r.metadata,
  };
}

/**
 * The metadata part of a retriever's WHERE clause and its parameters, numbered from `first`:
 * containment of `filter`, then the `conditions`.
 */
export function metadataWhere(options: ChunkQueryOptions, first: number): { sql: string; params: unknown[] } {
  const contains = options.filter === undefined ? { sql: '', params: [] as unknown[] } : { sql: ` AND k.metadata @> $${first}::jsonb`, params: [JSON.stringify(options.filter)] as unknown[] };
  const rest = conditionsSql(options.conditions ?? [], first + contains.params.length);
  return { sql: contains.sql + rest.sql, params: [...contains.params, ...rest.params] };
}
