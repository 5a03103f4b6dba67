/**
 * The schema of the crawl's memory, as the store keeps it (migrations/002_crawl.sql) and hands it
 * back: what a previous run learned about each page, and the progress the store records. These
 * types belong to the store so that it depends on no crawler; the crawl layer
 * (src/crawl/types.ts) builds its own `CrawlEvent` to fit `CrawlStateEvent`.
 */

/** What a previous crawl learned about a page (for incremental crawls). */
export interface PreviousPage {
  /** The document URL the page was stored under. */
  url: string;
  etag?: string;
  lastModified?: string;
  /** The sitemap `lastmod` the page had then. */
  sitemapLastmod?: string;
  /** Links the page had (absolute URLs), followed again when the page is unchanged. */
  links: readonly string[];
}

/** State carried over from earlier runs: resume an interrupted crawl, re-crawl incrementally. */
export interface CrawlHistory {
  /** Page keys (`pageKey`) the interrupted run finished: not fetched again. */
  finished?: ReadonlySet<string>;
  /** Pages the interrupted run had queued but not finished, in frontier order: fetched first. */
  queued?: ReadonlyArray<{ url: string; depth: number }>;
  /** What the last run knew about a page, by `pageKey`. */
  previous?: (key: string) => PreviousPage | undefined;
}

/**
 * The crawl progress the store records: the part of each `CrawlEvent` it reads. Pages are
 * identified by `key` (`pageKey` of the URL as requested).
 */
export type CrawlStateEvent =
  | {
      type: 'queued';
      pages: ReadonlyArray<{ key: string; url: string; depth: number }>;
    }
  | {
      type: 'page';
      key: string;
      /** Normalised final URL: the stored document's URL. */
      url: string;
      status: number;
      etag?: string;
      lastModified?: string;
      sitemapLastmod?: string;
      links: readonly string[];
    }
  | {
      type: 'unchanged';
      key: string;
      reason: 'not-modified' | 'sitemap-lastmod';
      sitemapLastmod?: string;
    }
  | {
      type: 'skip';
      key: string;
      /** A `CrawlSkipReason`; `noindex`, `robots` and a `status` of 404/410 remove the stored document. */
      reason: string;
      status?: number;
    }
  | { type: 'warning' };
