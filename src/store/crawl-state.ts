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
import type { CrawlHistory, CrawlStateEvent, PreviousPage } from './crawl-state-types.js';
import {
  markFetched,
  markRunFinished,
  markSettled,
  markSkipped,
  markUnchanged,
  queuePages,
  removeDocumentOf,
  removeUnreached,
  type CrawlRunScope,
} from './crawl-state-writes.js';
import { WriteChain } from './write-chain.js';

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

/** The last run of this collection and start URL if it never finished, else a new run. */
async function startRun(options: OpenCrawlStateOptions): Promise<{ runId: number; resumed: boolean }> {
  const { pool, collectionId, startUrl } = options;
  const last = await pool.query<{ id: string; status: string }>(
    'SELECT id, status FROM crawl_runs WHERE collection_id = $1 AND start_url = $2 ORDER BY id DESC LIMIT 1',
    [collectionId, startUrl],
  );
  if (last.rows[0]?.status === 'running') return { runId: Number(last.rows[0].id), resumed: true };
  const created = await pool.query<{ id: string }>(
    `INSERT INTO crawl_runs (collection_id, start_url, status) VALUES ($1, $2, 'running') RETURNING id`,
    [collectionId, startUrl],
  );
  return { runId: Number(created.rows[0]!.id), resumed: false };
}

/** What the crawl learns from the store: a resumed run's progress, and the previous runs' pages. */
interface LoadedHistory {
  finished: Set<string>;
  queued: Array<{ url: string; depth: number }>;
  previous: Map<string, PreviousPage>;
}

/** Read every page known for this start URL, with whether its document still exists as chunked now. */
async function loadHistory(run: CrawlRunScope, resumed: boolean, chunking: string): Promise<LoadedHistory> {
  const { rows } = await run.pool.query<PageRow>(
    `SELECT p.page_key, p.url, p.depth, p.run_id, p.state, p.document_url, p.etag, p.last_modified, p.sitemap_lastmod, p.links,
            (d.id IS NOT NULL AND d.chunking = $3) AS current
       FROM crawl_pages p
       LEFT JOIN documents d ON d.collection_id = p.collection_id AND d.source = p.document_url
      WHERE p.collection_id = $1 AND p.start_url = $2
      ORDER BY p.queue_seq`,
    [run.collectionId, run.startUrl, chunking],
  );
  const history: LoadedHistory = { finished: new Set(), queued: [], previous: new Map() };
  for (const row of rows) {
    if (resumed && Number(row.run_id) === run.runId) {
      // A finished page counts as finished only while its document is still as this ingest would
      // store it: resumed with other chunk settings or metadata, it is fetched again.
      if (row.state === 'done' && (row.document_url === null || row.current)) history.finished.add(row.page_key);
      else history.queued.push({ url: row.url, depth: row.depth });
    }
    if (row.current && row.document_url !== null) history.previous.set(row.page_key, previousPage(row, row.document_url));
  }
  return history;
}

function previousPage(row: PageRow, documentUrl: string): PreviousPage {
  return {
    url: documentUrl,
    links: row.links,
    ...(row.etag === null ? {} : { etag: row.etag }),
    ...(row.last_modified === null ? {} : { lastModified: row.last_modified }),
    ...(row.sitemap_lastmod === null ? {} : { sitemapLastmod: row.sitemap_lastmod }),
  };
}

/** True when a skip means the page is gone or must not be indexed. */
function removesDocument(event: Extract<CrawlStateEvent, { type: 'skip' }>): boolean {
  return REMOVING_SKIPS.has(event.reason) || (event.reason === 'status' && event.status !== undefined && GONE_STATUSES.has(event.status));
}

/**
 * The write that records `event`, or undefined when it records nothing. Documents of gone pages
 * that the write deletes are added to `removed`.
 */
function writeFor(run: CrawlRunScope, event: CrawlStateEvent, removed: string[]): (() => Promise<unknown>) | undefined {
  switch (event.type) {
    case 'queued': {
      const pages = { keys: event.pages.map((p) => p.key), urls: event.pages.map((p) => p.url), depths: event.pages.map((p) => p.depth) };
      return () => queuePages(run, pages);
    }
    case 'page':
      return () => markFetched(run, event);
    case 'unchanged':
      return () => markUnchanged(run, event);
    case 'skip': {
      const gone = removesDocument(event);
      return async () => {
        if (gone) {
          const url = await removeDocumentOf(run, event.key);
          if (url !== undefined) removed.push(url);
        }
        await markSkipped(run, event.key, event.status);
      };
    }
    case 'warning':
      return undefined;
  }
}

/** Open (or resume) the crawl state of a collection and start URL. */
export async function openCrawlState(options: OpenCrawlStateOptions): Promise<CrawlState> {
  const { runId, resumed } = await startRun(options);
  const run: CrawlRunScope = { pool: options.pool, collectionId: options.collectionId, startUrl: options.startUrl, runId };
  const { finished, queued, previous } = await loadHistory(run, resumed, options.chunking);
  const writes = new WriteChain(`the crawl state of ${options.startUrl}`);
  const removed: string[] = [];
  const flush = (): Promise<void> => writes.flush();
  return {
    runId,
    resumed,
    finishedBefore: finished.size,
    history: { finished, queued, previous: (key) => previous.get(key) },
    record(event) {
      const task = writeFor(run, event, removed);
      if (task) writes.add(task);
    },
    settled(documentUrl, contentHash) {
      writes.add(() => markSettled(run, documentUrl, contentHash));
    },
    removed,
    flush,
    async finish(exhausted) {
      await flush();
      if (exhausted) for (const url of await removeUnreached(run)) removed.push(url);
      await markRunFinished(run, exhausted);
    },
  };
}
