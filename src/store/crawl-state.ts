/**
 * The crawl's memory in Postgres (migrations/002_crawl.sql): the frontier and per-page state of
 * each collection and start URL.
 *
 * - Resume: a run that never finished (the process was killed, or the ingest failed) is continued
 *   by the next ingest of the same collection and start URL: its finished pages are not fetched
 *   again, its queued ones are fetched first, in frontier order.
 * - Incremental: a finished run leaves each page's validators (ETag, Last-Modified), sitemap
 *   lastmod, content hash and links; the next run sends conditional requests and skips pages whose
 *   lastmod is unchanged. Pages that answer 404/410 (or now say noindex, or robots.txt now
 *   disallows) lose their document at once; pages no longer reachable lose it when a run visits
 *   the whole site.
 *
 * Writes happen in the order the crawl reports events, on one promise chain: a page's links are
 * queued before the page is marked done, so a kill at any point loses no part of the frontier.
 */
import type pg from 'pg';
import { StoreError } from '../errors.js';
import type { CrawlHistory, CrawlStateEvent, PreviousPage } from './crawl-state-types.js';

/** Skip reasons that mean the page is gone or must not be indexed: its stored document is removed. */
const REMOVING_SKIPS = new Set(['noindex', 'robots']);
const GONE_STATUSES = new Set([404, 410]);

/** The crawl state of one ingest run. */
export interface CrawlState {
  /** The run's id (`crawl_runs.id`). */
  readonly runId: number;
  /** True when this run continues one that was interrupted. */
  readonly resumed: boolean;
  /** Pages the interrupted run had finished (0 for a new run). */
  readonly finishedBefore: number;
  /** What `crawl` needs: finished and queued pages of an interrupted run, and the previous run's knowledge. */
  readonly history: CrawlHistory;
  /** Record a crawl event (queued pages, fetched pages, unchanged pages, skips). */
  record(event: CrawlStateEvent): void;
  /** A document the crawl yielded went through the pipeline (stored, unchanged or empty). */
  settled(documentUrl: string, contentHash?: string): void;
  /** Documents removed so far (gone pages), by URL. */
  readonly removed: readonly string[];
  /**
   * End the run: wait for pending writes; when `exhausted` (the crawl visited every page it could
   * reach), remove the documents of pages the run did not reach; mark the run finished.
   */
  finish(exhausted: boolean): Promise<void>;
  /** Wait for the writes so far; rethrows the first write error. */
  flush(): Promise<void>;
}

/** Options of {@link openCrawlState}. */
export interface OpenCrawlStateOptions {
  pool: pg.Pool;
  collectionId: number;
  /** Normalised start URL. */
  startUrl: string;
  /**
   * Fingerprint of the chunker in use: pages whose stored document was chunked otherwise are
   * re-fetched (a 304 carries no body to re-chunk).
   */
  chunking: string;
}

interface PageRow {
  page_key: string;
  url: string;
  depth: number;
  run_id: string;
  state: string;
  document_url: string | null;
  etag: string | null;
  last_modified: string | null;
  sitemap_lastmod: string | null;
  links: string[];
  current: boolean;
}

/** Open (or resume) the crawl state of a collection and start URL. */
export async function openCrawlState(options: OpenCrawlStateOptions): Promise<CrawlState> {
  const { pool, collectionId, startUrl } = options;
  const last = await pool.query<{ id: string; status: string }>(
    'SELECT id, status FROM crawl_runs WHERE collection_id = $1 AND start_url = $2 ORDER BY id DESC LIMIT 1',
    [collectionId, startUrl],
  );
  const resumed = last.rows[0]?.status === 'running';
  const runId = resumed
    ? Number(last.rows[0]!.id)
    : Number(
        (
          await pool.query<{ id: string }>(
            `INSERT INTO crawl_runs (collection_id, start_url, status) VALUES ($1, $2, 'running') RETURNING id`,
            [collectionId, startUrl],
          )
        ).rows[0]!.id,
      );
  // Every page known for this start URL, with whether its document still exists as chunked now.
  const { rows } = await pool.query<PageRow>(
    `SELECT p.page_key, p.url, p.depth, p.run_id, p.state, p.document_url, p.etag, p.last_modified, p.sitemap_lastmod, p.links,
            (d.id IS NOT NULL AND d.chunking = $3) AS current
       FROM crawl_pages p
       LEFT JOIN documents d ON d.collection_id = p.collection_id AND d.source = p.document_url
      WHERE p.collection_id = $1 AND p.start_url = $2
      ORDER BY p.queue_seq`,
    [collectionId, startUrl, options.chunking],
  );
  const finished = new Set<string>();
  const queued: Array<{ url: string; depth: number }> = [];
  const previous = new Map<string, PreviousPage>();
  for (const row of rows) {
    if (resumed && Number(row.run_id) === runId) {
      // A finished page counts as finished only while its document is still as this ingest would
      // store it: resumed with other chunk settings or metadata, it is fetched again.
      if (row.state === 'done' && (row.document_url === null || row.current)) finished.add(row.page_key);
      else queued.push({ url: row.url, depth: row.depth });
    }
    if (row.current && row.document_url !== null) {
      previous.set(row.page_key, {
        url: row.document_url,
        links: row.links,
        ...(row.etag === null ? {} : { etag: row.etag }),
        ...(row.last_modified === null ? {} : { lastModified: row.last_modified }),
        ...(row.sitemap_lastmod === null ? {} : { sitemapLastmod: row.sitemap_lastmod }),
      });
    }
  }

  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  const removed: string[] = [];
  const write = (task: () => Promise<unknown>): void => {
    chain = chain.then(async () => {
      if (failure !== undefined) return;
      try {
        await task();
      } catch (error) {
        failure = error;
      }
    });
  };
  const flush = async (): Promise<void> => {
    await chain;
    if (failure !== undefined) {
      throw new StoreError(`Could not save the crawl state of ${startUrl}: ${(failure as Error).message}`, { cause: failure });
    }
  };
  const scope = [collectionId, startUrl] as const;

  /** Delete the document of a page that is gone, and forget it. */
  const removeDocumentOf = async (key: string): Promise<void> => {
    const { rows: gone } = await pool.query<{ document_url: string | null }>(
      'SELECT document_url FROM crawl_pages WHERE collection_id = $1 AND start_url = $2 AND page_key = $3',
      [...scope, key],
    );
    await pool.query(
      `UPDATE crawl_pages SET document_url = NULL, links = '{}', etag = NULL, last_modified = NULL
        WHERE collection_id = $1 AND start_url = $2 AND page_key = $3`,
      [...scope, key],
    );
    const url = gone[0]?.document_url;
    if (url === undefined || url === null) return;
    const deleted = await pool.query('DELETE FROM documents WHERE collection_id = $1 AND source = $2', [collectionId, url]);
    if ((deleted.rowCount ?? 0) > 0) removed.push(url);
  };

  const record = (event: CrawlStateEvent): void => {
    switch (event.type) {
      case 'queued': {
        const keys = event.pages.map((p) => p.key);
        const urls = event.pages.map((p) => p.url);
        const depths = event.pages.map((p) => p.depth);
        write(() =>
          pool.query(
            `INSERT INTO crawl_pages (collection_id, start_url, page_key, url, depth, run_id, state)
             SELECT $1, $2, k, u, d, $6, 'queued' FROM unnest($3::text[], $4::text[], $5::int[]) AS t(k, u, d)
             ON CONFLICT (collection_id, start_url, page_key) DO UPDATE
                SET url = excluded.url, depth = excluded.depth, run_id = excluded.run_id, state = 'queued',
                    queue_seq = nextval('crawl_pages_queue_seq'), updated_at = now()
              WHERE crawl_pages.run_id <> excluded.run_id`,
            [...scope, keys, urls, depths, runId],
          ),
        );
        return;
      }
      case 'page':
        write(() =>
          pool.query(
            `UPDATE crawl_pages SET state = 'fetched', document_url = $4, etag = $5, last_modified = $6, sitemap_lastmod = $7,
                    last_status = $8, links = $9::text[], updated_at = now()
              WHERE collection_id = $1 AND start_url = $2 AND page_key = $3`,
            [...scope, event.key, event.url, event.etag ?? null, event.lastModified ?? null, event.sitemapLastmod ?? null, event.status, event.links],
          ),
        );
        return;
      case 'unchanged':
        write(() =>
          pool.query(
            `UPDATE crawl_pages SET state = 'done', last_status = $4, sitemap_lastmod = coalesce($5, sitemap_lastmod), updated_at = now()
              WHERE collection_id = $1 AND start_url = $2 AND page_key = $3`,
            [...scope, event.key, event.reason === 'not-modified' ? 304 : null, event.sitemapLastmod ?? null],
          ),
        );
        return;
      case 'skip': {
        const gone = REMOVING_SKIPS.has(event.reason) || (event.reason === 'status' && event.status !== undefined && GONE_STATUSES.has(event.status));
        write(async () => {
          if (gone) await removeDocumentOf(event.key);
          await pool.query(
            `UPDATE crawl_pages SET state = 'done', last_status = $4, updated_at = now()
              WHERE collection_id = $1 AND start_url = $2 AND page_key = $3`,
            [...scope, event.key, event.status ?? null],
          );
        });
        return;
      }
      case 'warning':
        return;
    }
  };

  return {
    runId,
    resumed,
    finishedBefore: finished.size,
    history: { finished, queued, previous: (key) => previous.get(key) },
    record,
    settled(documentUrl, contentHash) {
      write(() =>
        pool.query(
          `UPDATE crawl_pages SET state = 'done', content_hash = coalesce($5, content_hash), updated_at = now()
            WHERE collection_id = $1 AND start_url = $2 AND run_id = $3 AND document_url = $4 AND state = 'fetched'`,
          [...scope, runId, documentUrl, contentHash ?? null],
        ),
      );
    },
    removed,
    flush,
    async finish(exhausted) {
      await flush();
      if (exhausted) {
        // Pages of earlier runs that this complete run did not reach are gone from the site. Their
        // documents go, unless a page of this run is stored under the same URL.
        const { rows: stale } = await pool.query<{ document_url: string }>(
          `DELETE FROM crawl_pages p
            WHERE p.collection_id = $1 AND p.start_url = $2 AND p.run_id <> $3
            RETURNING p.document_url`,
          [...scope, runId],
        );
        const urls = stale.flatMap((r) => (r.document_url === null ? [] : [r.document_url]));
        if (urls.length > 0) {
          const { rows: deleted } = await pool.query<{ source: string }>(
            `DELETE FROM documents d
              WHERE d.collection_id = $1 AND d.source = ANY($3::text[])
                AND NOT EXISTS (SELECT 1 FROM crawl_pages p WHERE p.collection_id = $1 AND p.start_url = $2 AND p.document_url = d.source)
              RETURNING d.source`,
            [...scope, urls],
          );
          for (const row of deleted) removed.push(row.source);
        }
      }
      await pool.query(`UPDATE crawl_runs SET status = 'finished', exhausted = $2, finished_at = now() WHERE id = $1`, [runId, exhausted]);
    },
  };
}
