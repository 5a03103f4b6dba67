/**
 * The SQL that records a crawl run's progress in `crawl_pages` and `crawl_runs`
 * (migrations/002_crawl.sql), one function per change. `openCrawlState` decides when each runs.
 */
import type pg from 'pg';
import type { CrawlStateEvent } from './crawl-state-types.js';

/** The run being recorded: the rows of `crawl_pages` a write may touch. */
export interface CrawlRunScope {
  pool: pg.Pool;
  collectionId: number;
  /** Normalised start URL. */
  startUrl: string;
  /** `crawl_runs.id`. */
  runId: number;
}

/** Newly queued pages, as the columns `unnest` reads. */
export interface QueuedColumns {
  keys: string[];
  urls: string[];
  depths: number[];
}

type PageEvent = Extract<CrawlStateEvent, { type: 'page' }>;
type UnchangedEvent = Extract<CrawlStateEvent, { type: 'unchanged' }>;

/** Queue pages for this run; a page already queued by this run keeps its place in the frontier. */
export function queuePages(run: CrawlRunScope, pages: QueuedColumns): Promise<unknown> {
  return run.pool.query(
    `INSERT INTO crawl_pages (collection_id, start_url, page_key, url, depth, run_id, state)
     SELECT $1, $2, k, u, d, $6, 'queued' FROM unnest($3::text[], $4::text[], $5::int[]) AS t(k, u, d)
     ON CONFLICT (collection_id, start_url, page_key) DO UPDATE
        SET url = excluded.url, depth = excluded.depth, run_id = excluded.run_id, state = 'queued',
            queue_seq = nextval('crawl_pages_queue_seq'), updated_at = now()
      WHERE crawl_pages.run_id <> excluded.run_id`,
    [run.collectionId, run.startUrl, pages.keys, pages.urls, pages.depths, run.runId],
  );
}

/** A page was fetched: keep its validators and links; it is done once its document settles. */
export function markFetched(run: CrawlRunScope, event: PageEvent): Promise<unknown> {
  return run.pool.query(
    `UPDATE crawl_pages SET state = 'fetched', document_url = $4, etag = $5, last_modified = $6, sitemap_lastmod = $7,
            last_status = $8, links = $9::text[], updated_at = now()
      WHERE collection_id = $1 AND start_url = $2 AND page_key = $3`,
    [run.collectionId, run.startUrl, event.key, event.url, event.etag ?? null, event.lastModified ?? null, event.sitemapLastmod ?? null, event.status, event.links],
  );
}

/** A page is unchanged since the last run (304, or the same sitemap lastmod): done. */
export function markUnchanged(run: CrawlRunScope, event: UnchangedEvent): Promise<unknown> {
  return run.pool.query(
    `UPDATE crawl_pages SET state = 'done', last_status = $4, sitemap_lastmod = coalesce($5, sitemap_lastmod), updated_at = now()
      WHERE collection_id = $1 AND start_url = $2 AND page_key = $3`,
    [run.collectionId, run.startUrl, event.key, event.reason === 'not-modified' ? 304 : null, event.sitemapLastmod ?? null],
  );
}

/** A page was skipped: done, with the status it answered if any. */
export function markSkipped(run: CrawlRunScope, key: string, status: number | undefined): Promise<unknown> {
  return run.pool.query(
    `UPDATE crawl_pages SET state = 'done', last_status = $4, updated_at = now()
      WHERE collection_id = $1 AND start_url = $2 AND page_key = $3`,
    [run.collectionId, run.startUrl, key, status ?? null],
  );
}

/**
 * Delete the document of a page that is gone, and forget what the page had (its validators and
 * links). Returns the document URL when a document was deleted.
 */
export async function removeDocumentOf(run: CrawlRunScope, key: string): Promise<string | undefined> {
  const { pool, collectionId, startUrl } = run;
  const { rows: gone } = await pool.query<{ document_url: string | null }>(
    'SELECT document_url FROM crawl_pages WHERE collection_id = $1 AND start_url = $2 AND page_key = $3',
    [collectionId, startUrl, key],
  );
  await pool.query(
    `UPDATE crawl_pages SET document_url = NULL, links = '{}', etag = NULL, last_modified = NULL
      WHERE collection_id = $1 AND start_url = $2 AND page_key = $3`,
    [collectionId, startUrl, key],
  );
  const url = gone[0]?.document_url;
  if (url === undefined || url === null) return undefined;
  const deleted = await pool.query('DELETE FROM documents WHERE collection_id = $1 AND source = $2', [collectionId, url]);
  return (deleted.rowCount ?? 0) > 0 ? url : undefined;
}

/** The page's document went through the pipeline: the page is done (only if this run fetched it). */
export function markSettled(run: CrawlRunScope, documentUrl: string, contentHash: string | undefined): Promise<unknown> {
  return run.pool.query(
    `UPDATE crawl_pages SET state = 'done', content_hash = coalesce($5, content_hash), updated_at = now()
      WHERE collection_id = $1 AND start_url = $2 AND run_id = $3 AND document_url = $4 AND state = 'fetched'`,
    [run.collectionId, run.startUrl, run.runId, documentUrl, contentHash ?? null],
  );
}

/**
 * After a run that visited the whole site: pages of earlier runs that it did not reach are gone
 * from the site. Their documents go, unless a page of this run is stored under the same URL.
 * Returns the URLs of the deleted documents.
 */
export async function removeUnreached(run: CrawlRunScope): Promise<string[]> {
  const { pool, collectionId, startUrl } = run;
  const { rows: stale } = await pool.query<{ document_url: string }>(
    `DELETE FROM crawl_pages p
      WHERE p.collection_id = $1 AND p.start_url = $2 AND p.run_id <> $3
      RETURNING p.document_url`,
    [collectionId, startUrl, run.runId],
  );
  const urls = stale.flatMap((r) => (r.document_url === null ? [] : [r.document_url]));
  if (urls.length === 0) return [];
  const { rows: deleted } = await pool.query<{ source: string }>(
    `DELETE FROM documents d
      WHERE d.collection_id = $1 AND d.source = ANY($3::text[])
        AND NOT EXISTS (SELECT 1 FROM crawl_pages p WHERE p.collection_id = $1 AND p.start_url = $2 AND p.document_url = d.source)
      RETURNING d.source`,
    [collectionId, startUrl, urls],
  );
  return deleted.map((row) => row.source);
}

/** Mark the run finished; `exhausted` when it visited every page it could reach. */
export async function markRunFinished(run: CrawlRunScope, exhausted: boolean): Promise<void> {
  await run.pool.query(`UPDATE crawl_runs SET status = 'finished', exhausted = $2, finished_at = now() WHERE id = $1`, [run.runId, exhausted]);
}
