/**
 * The documents of a collection as a user manages them: listed, and removed by URL together with
 * their chunks and the crawl's memory of their pages (so a re-crawl fetches them again).
 */
import type pg from 'pg';
import { withTransaction } from './transaction.js';

/** A stored document, as `ragline documents list` shows it. */
export interface DocumentListing {
  /** Its URL: http(s):// for pages, file:// for files. */
  url: string;
  title: string;
  contentType: string;
  chunks: number;
  tokens: number;
  /** When its chunks were last written. */
  updatedAt: Date;
  /** When it was last fetched or read (also when found unchanged). */
  fetchedAt: Date;
}

/** Options of {@link listDocuments}. */
export interface ListDocumentsOptions {
  /** At most this many, in URL order. @default all */
  limit?: number;
  /** Skip this many first. @default 0 */
  offset?: number;
}

/** A page of a collection's documents in URL order, and how many it has in all. */
export async function listDocuments(pool: pg.Pool, collectionId: number, options: ListDocumentsOptions = {}): Promise<{ total: number; documents: DocumentListing[] }> {
  const { rows } = await pool.query<{ source: string; title: string; content_type: string; chunk_count: number; token_count: number; updated_at: Date; fetched_at: Date; total: string }>(
    `SELECT source, title, content_type, chunk_count, token_count, updated_at, fetched_at, count(*) OVER () AS total
       FROM documents WHERE collection_id = $1 ORDER BY source LIMIT $2 OFFSET $3`,
    [collectionId, options.limit ?? null, options.offset ?? 0],
  );
  const total = rows[0] ? Number(rows[0].total) : (await pool.query<{ n: string }>('SELECT count(*) AS n FROM documents WHERE collection_id = $1', [collectionId])).rows[0]!.n;
  return {
    total: Number(total),
    documents: rows.map((r) => ({
      url: r.source,
      title: r.title,
      contentType: r.content_type,
      chunks: r.chunk_count,
      tokens: r.token_count,
      updatedAt: r.updated_at,
      fetchedAt: r.fetched_at,
    })),
  };
}

/** What {@link removeDocuments} did. */
export interface RemovedDocuments {
  /** URLs whose document was removed, in the order given. */
  removed: string[];
  /** URLs given that the collection has no document of. */
  missing: string[];
  /** Chunks removed with them. */
  chunks: number;
  /** Crawl pages forgotten (validators, links): a re-crawl fetches them as new. */
  crawlPages: number;
}

/**
 * Remove documents by URL, with their chunks, in one transaction; the crawl forgets the pages
 * stored as them (their ETag, Last-Modified, sitemap lastmod and links), so the next crawl fetches
 * them again instead of trusting a 304. URLs the collection has no document of are returned as
 * `missing`, not an error.
 */
export async function removeDocuments(pool: pg.Pool, collectionId: number, urls: readonly string[]): Promise<RemovedDocuments> {
  const unique = [...new Set(urls)];
  return withTransaction(pool, async (client) => {
    const gone = await client.query<{ source: string; chunk_count: number }>(
      'DELETE FROM documents WHERE collection_id = $1 AND source = ANY($2::text[]) RETURNING source, chunk_count',
      [collectionId, unique],
    );
    const found = new Set(gone.rows.map((r) => r.source));
    const pages = await client.query('DELETE FROM crawl_pages WHERE collection_id = $1 AND (document_url = ANY($2::text[]) OR url = ANY($2::text[]))', [collectionId, [...found]]);
    return {
      removed: unique.filter((u) => found.has(u)),
      missing: unique.filter((u) => !found.has(u)),
      chunks: gone.rows.reduce((n, r) => n + r.chunk_count, 0),
      crawlPages: pages.rowCount ?? 0,
    };
  });
}
