/**
 * The crawl's vocabulary: its options, its progress events, its statistics and the reasons it
 * skips a page. The history of earlier runs is the store's schema (src/store/crawl-state-types.ts):
 * the store records `CrawlEvent`s through the narrower `CrawlStateEvent`, which they fit.
 */
import type { HttpGetOptions } from '../net/http-get.js';
import type { CrawlHistory, PreviousPage } from '../store/crawl-state-types.js';
import type { SourceDocument } from '../types.js';
import type { ScopeOptions, TrapOptions } from './scope.js';

export type { CrawlHistory, PreviousPage };

/** Why a page was not yielded. */
export type CrawlSkipReason =
  /** The final response was not 2xx (nor 304 to a conditional request). */
  | 'status'
  /** Not a type ragline reads (HTML, Markdown, plain text, PDF, Word). */
  | 'content-type'
  /** It redirects to a page already fetched or queued (the redirect is not followed), or its canonical URL was. */
  | 'duplicate'
  /** It redirects outside the crawl's scope (the redirect is not followed). */
  | 'off-site'
  /** robots.txt disallows it for our user agent. */
  | 'robots'
  /** `<meta name=robots content=noindex>` or `X-Robots-Tag: noindex` (its links are still followed). */
  | 'noindex'
  /** Its URL looks like a crawler trap (see `TrapOptions`): not fetched; or its content showed it is one: not kept. */
  | 'trap'
  /** Fetch failures, as `FetchError.reason`. */
  | 'private-address'
  | 'scheme'
  | 'timeout'
  | 'too-large'
  | 'redirects'
  | 'network';

/** Every `CrawlSkipReason`, in the order `CrawlStats.skipped` lists them. */
export const SKIP_REASONS: readonly CrawlSkipReason[] = [
  'status',
  'content-type',
  'duplicate',
  'off-site',
  'robots',
  'noindex',
  'trap',
  'private-address',
  'scheme',
  'timeout',
  'too-large',
  'redirects',
  'network',
];

/** Counters of a crawl, updated while it runs. */
export interface CrawlStats {
  /** Documents yielded. */
  pages: number;
  /** Pages known unchanged (304, or sitemap `lastmod` as before): not yielded, links followed. */
  unchanged: number;
  /** Requests completed (including those that failed or were skipped; not robots.txt or sitemaps). */
  fetched: number;
  /** Requests tried again after a timeout, connection error, 5xx or 429. */
  retries: number;
  /** Pages listed by sitemaps. */
  sitemapPages: number;
  /** Pages not yielded, by reason (every reason present, zero when none). */
  skipped: Record<CrawlSkipReason, number>;
  /**
   * True once the crawl has visited every page it could reach; false while it runs and when it
   * stopped early (`maxPages`, an abort, the consumer breaking out).
   */
  complete: boolean;
}

/** Progress of a crawl, reported through `onEvent`. */
export type CrawlEvent =
  | {
      type: 'page';
      /** Normalised final URL of the document. */
      url: string;
      /** `pageKey` of the URL as requested (the frontier's identity of the page). */
      key: string;
      status: number;
      contentType: string;
      /** Link distance from the start URL. */
      depth: number;
      /** Decoded body size in bytes. */
      bytes: number;
      /** Validators for the next crawl's conditional request. */
      etag?: string;
      lastModified?: string;
      sitemapLastmod?: string;
      /** Links followed from the page (in scope, before dedupe). */
      links: string[];
    }
  | {
      type: 'unchanged';
      /** The stored document's URL. */
      url: string;
      key: string;
      depth: number;
      /** Why it is known unchanged. */
      reason: 'not-modified' | 'sitemap-lastmod';
      previous: PreviousPage;
      /** The sitemap `lastmod` now. */
      sitemapLastmod?: string;
    }
  | {
      type: 'queued';
      /** Pages added to the frontier, in order. */
      pages: Array<{ key: string; url: string; depth: number }>;
    }
  | {
      type: 'skip';
      /** The URL as requested (for failures) or the final URL (for responses). */
      url: string;
      /** `pageKey` of the URL as requested. */
      key: string;
      reason: CrawlSkipReason;
      depth: number;
      /** HTTP status, when a response arrived. */
      status?: number;
      /** Media type, when a response arrived. */
      contentType?: string;
      /** The fetch failure, for skips caused by one. */
      error?: Error;
      /** One line for logs. */
      message: string;
    }
  | {
      type: 'warning';
      /** The robots.txt or sitemap concerned. */
      url: string;
      message: string;
    };

/** Options of `crawl`: the crawl's own, scope and trap bounds, plus every `httpGet` option. */
export interface CrawlOptions extends HttpGetOptions, ScopeOptions, TrapOptions {
  /**
   * Stop after this many pages (documents yielded plus pages known unchanged). Requests are not
   * dispatched beyond what could still be yielded, so a small `maxPages` also means few requests.
   * @default 1000
   */
  maxPages?: number;
  /**
   * Follow links at most this many hops from the start URL (0: the start page only). Sitemap
   * pages count as one hop.
   * @default Infinity
   */
  maxDepth?: number;
  /**
   * Largest PDF or Word file downloaded, in bytes (HTML and text pages keep `maxBytes`): a larger
   * one is skipped with reason `too-large`. Binary documents are recognised by content type, by
   * extension, and, untyped, by their first bytes (`%PDF-`, a Word file's ZIP header).
   * @default 52428800 (50 MiB)
   */
  maxFileBytes?: number;
  /**
   * Maximum number of requests in flight (and of fetched documents waiting for the consumer).
   * @default 8
   */
  concurrency?: number;
  /**
   * Maximum number of requests in flight to one origin (scheme, host and port), within
   * `concurrency`: matters when the scope spans several hosts (`scope: 'domain'`).
   * @default the value of `concurrency`
   */
  concurrencyPerHost?: number;
  /**
   * Obey robots.txt (disallow rules and `Crawl-delay` for `userAgent`). Turn off only for sites
   * you own.
   * @default true
   */
  robots?: boolean;
  /**
   * Read sitemaps (those robots.txt names, and `/sitemap.xml`) to find pages no link reaches.
   * @default true
   */
  sitemaps?: boolean;
  /**
   * Least time between two requests to one origin (scheme, host and port), in milliseconds. A robots.txt `Crawl-delay`
   * larger than this wins.
   * @default 0
   */
  delayMs?: number;
  /**
   * Most requests per minute over the whole crawl (pages, robots.txt and sitemaps excepted).
   * @default undefined (no limit)
   */
  maxRequestsPerMinute?: number;
  /**
   * Times a request is tried again after a timeout, a connection error, a 5xx or a 429.
   * @default 2
   */
  retries?: number;
  /**
   * First backoff before a retry, in milliseconds; doubled each retry, with ±50% jitter.
   * @default 1000
   */
  retryBaseMs?: number;
  /**
   * Longest `Retry-After` (429/503) honoured, in milliseconds; a longer one gives up on the page.
   * @default 120000
   */
  maxRetryAfterMs?: number;
  /** State from earlier runs, for resume and incremental crawls. @default undefined */
  history?: CrawlHistory;
  /**
   * Called synchronously for every page yielded and every page skipped. An exception thrown here
   * ends the crawl with that exception.
   * @default undefined
   */
  onEvent?: (event: CrawlEvent) => void;
}

/** The generator returned by `crawl`: documents, plus live statistics. */
export type Crawl = AsyncGenerator<SourceDocument, CrawlStats, undefined> & {
  /** Counters of this crawl, updated as it runs; final once the loop ends. */
  readonly stats: Readonly<CrawlStats>;
};
