/**
 * The crawl stage: breadth-first over one site, yielding every reachable page once. The work is
 * done in the crawl layer (src/crawl/): `Crawler` (the loop, and its design notes), the frontier,
 * one page's fetch, robots.txt, sitemaps, scope and politeness.
 */
import { resolveCrawlOptions } from '../crawl/crawl-settings.js';
import { Crawler } from '../crawl/crawler.js';
import type { Crawl, CrawlOptions } from '../crawl/types.js';

export type { Crawl, CrawlEvent, CrawlHistory, CrawlOptions, CrawlSkipReason, CrawlStats, PreviousPage } from '../crawl/types.js';
export { normalizeUrl, pageKey } from '../crawl/normalize-url.js';
export { extractLinks, readPageLinks, type PageLinks } from '../crawl/page-links.js';

/**
 * Crawl a site breadth-first from `startUrl`, yielding each reachable HTML, Markdown and
 * plain-text page once as a `SourceDocument` (with its normalised final URL).
 *
 * Failures of individual pages (timeouts, 404s, non-HTML responses, oversized bodies, robots.txt
 * disallows) are counted in `stats.skipped` and reported through `onEvent`; they do not stop the
 * crawl. The start URL is different: if it is refused (private address, bad scheme) or fails,
 * the crawl throws that `FetchError` at once. A malformed start URL or option throws
 * `ConfigError` when `crawl` is called.
 *
 * @example
 * const pages = crawl('https://docs.example.com/', { maxPages: 200, exclude: ['/blog/*'] });
 * for await (const page of pages) console.log(page.url);
 * console.log(pages.stats); // { pages: 180, fetched: 201, skipped: { status: 3, ... }, complete: true, ... }
 */
export function crawl(startUrl: string | URL, options: CrawlOptions = {}): Crawl {
  const crawler = new Crawler(resolveCrawlOptions(startUrl, options), options);
  return Object.assign(crawler.run(), { stats: crawler.stats });
}
