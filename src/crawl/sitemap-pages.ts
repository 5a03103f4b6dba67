/**
 * The pages a site's own sitemaps list, for a crawl of that site. Sitemaps that name another host
 * are a mirror's copy of production (a staging site, a local copy): only the site's own sitemaps
 * are read, and the pages they list are crawled on the crawl's host.
 */
import type { HttpClient } from '../net/http-get.js';
import type { RobotsCache } from './robots-cache.js';
import type { Scope } from './scope.js';
import { readSitemaps, type SitemapEntry } from './sitemap.js';

/** Options of {@link discoverSitemapPages}. */
export interface DiscoverSitemapPagesOptions {
  /** The crawl's start URL: its origin's sitemaps are read. */
  start: URL;
  scope: Scope;
  robots: RobotsCache;
  client: HttpClient;
  /** The crawl's `maxPages`: the sitemaps are read for twice as many pages (at least 1000). */
  maxPages: number;
  signal: AbortSignal;
  /** Told about each sitemap that could not be read. */
  onWarning: (url: string, message: string) => void;
}

/** Entries of the sitemaps of the start URL's origin (robots.txt `Sitemap:` lines and `/sitemap.xml`). */
export async function discoverSitemapPages(options: DiscoverSitemapPagesOptions): Promise<SitemapEntry[]> {
  const { start, scope, client, maxPages, signal } = options;
  const rules = await options.robots.rulesFor(start);
  const roots = [...(rules?.sitemaps ?? []), `${start.origin}/sitemap.xml`];
  return readSitemaps(roots, {
    client,
    maxPages: Math.max(maxPages * 2, 1000),
    signal,
    // Sitemaps of other hosts are not read: only the site's own say what the site has.
    allowSitemap: (url) => scope.contains(url) || url.origin === start.origin,
    onError: (url, error) => options.onWarning(url, error.message),
  });
}

/**
 * The http(s) pages of sitemap entries, each moved onto the host of the crawl when out of
 * `scope` (a mirror's sitemap names production), without fragment.
 */
export function sitemapPageUrls(entries: readonly SitemapEntry[], start: URL, scope: Scope): Array<{ url: URL; lastmod?: string }> {
  const pages: Array<{ url: URL; lastmod?: string }> = [];
  for (const entry of entries) {
    if (!URL.canParse(entry.url, start.href)) continue;
    let url = new URL(entry.url, start);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    if (!scope.contains(url)) url = new URL(url.pathname + url.search, start);
    url.hash = '';
    pages.push(entry.lastmod === undefined ? { url } : { url, lastmod: entry.lastmod });
  }
  return pages;
}
