/**
 * Sitemaps (sitemaps.org protocol 0.9): `<urlset>` files listing pages with their `lastmod`, and
 * `<sitemapindex>` files listing further sitemaps, nested to any depth, plain or gzipped.
 */
import zlib from 'node:zlib';
import { Parser } from './html-parser.js';
import { FetchError } from '../errors.js';
import type { HttpClient } from '../net/http-get.js';

/** A page listed by a sitemap. */
export interface SitemapEntry {
  /** The `<loc>`, as written. */
  url: string;
  /** The `<lastmod>` as written (W3C datetime), when present. */
  lastmod?: string;
}

/** What one sitemap file contains. */
export interface ParsedSitemap {
  /** Pages of a `<urlset>`. */
  pages: SitemapEntry[];
  /** Child sitemaps of a `<sitemapindex>`. */
  sitemaps: string[];
}

/** Parse a sitemap or sitemap index. Malformed XML yields what could be read; unknown tags are ignored. */
export function parseSitemap(xml: string): ParsedSitemap {
  const result: ParsedSitemap = { pages: [], sitemaps: [] };
  const stack: string[] = [];
  let loc = '';
  let lastmod = '';
  let text = '';
  // Namespaced files (`<sm:url>`) are rare but valid: compare local names.
  const local = (name: string): string => name.slice(name.indexOf(':') + 1).toLowerCase();
  const parser = new Parser(
    {
      onopentag(name) {
        const tag = local(name);
        stack.push(tag);
        if (tag === 'url' || tag === 'sitemap') {
          loc = '';
          lastmod = '';
        }
        text = '';
      },
      ontext(data) {
        text += data;
      },
      oncdatastart() {
        text = '';
      },
      onclosetag(name) {
        const tag = local(name);
        stack.pop();
        if (tag === 'loc') loc = text.trim();
        else if (tag === 'lastmod') lastmod = text.trim();
        else if (tag === 'url' && loc !== '') result.pages.push(lastmod === '' ? { url: loc } : { url: loc, lastmod });
        else if (tag === 'sitemap' && loc !== '') result.sitemaps.push(loc);
        text = '';
      },
    },
    { xmlMode: true, decodeEntities: true, recognizeCDATA: true },
  );
  parser.write(xml);
  parser.end();
  return result;
}

/** Options of {@link readSitemaps}. */
export interface ReadSitemapsOptions {
  /** The crawl's guarded client (SSRF guard, size cap, timeout). */
  client: HttpClient;
  /** Largest decompressed sitemap, in bytes (the protocol's own limit is 50 MB). @default 52428800 */
  maxBytes?: number;
  /** Most sitemap files fetched in all, indexes included: bounds hostile index loops. @default 200 */
  maxSitemaps?: number;
  /** Most pages collected. @default 50000 */
  maxPages?: number;
  /** Deepest nesting of sitemap indexes followed. @default 4 */
  maxNesting?: number;
  /** Decides whether a child sitemap may be fetched (scope, robots). @default () => true */
  allowSitemap?: (url: URL) => boolean;
  /** Told about each sitemap that could not be read. */
  onError?: (url: string, error: Error) => void;
  signal?: AbortSignal;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Decompress a gzipped sitemap (`.xml.gz` served as `application/gzip`), bounded. */
function gunzipBounded(bytes: Buffer, url: string, maxBytes: number): Buffer {
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: maxBytes, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch (error) {
    const tooLarge = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new FetchError(
      url,
      tooLarge ? 'too-large' : 'network',
      tooLarge ? `Sitemap ${url} inflates past ${maxBytes} bytes.` : `Sitemap ${url} is not valid gzip: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Fetch sitemaps breadth-first from `roots`, following indexes, and return every page they list
 * (first listing wins for a URL). Files that fail to load are reported to `onError` and skipped:
 * a broken sitemap must not stop the crawl that links would still do.
 */
export async function readSitemaps(roots: readonly string[], options: ReadSitemapsOptions): Promise<SitemapEntry[]> {
  const maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
  const maxSitemaps = options.maxSitemaps ?? 200;
  const maxPages = options.maxPages ?? 50_000;
  const maxNesting = options.maxNesting ?? 4;
  const fetched = new Set<string>();
  const pages = new Map<string, SitemapEntry>();
  let level = roots.map((url) => url);
  for (let nesting = 0; nesting <= maxNesting && level.length > 0; nesting++) {
    const next: string[] = [];
    for (const url of level) {
      if (fetched.size >= maxSitemaps || pages.size >= maxPages) break;
      if (fetched.has(url) || !URL.canParse(url)) continue;
      fetched.add(url);
      if (options.allowSitemap && !options.allowSitemap(new URL(url))) continue;
      try {
        const response = await options.client.get(url, { raw: true, ...(options.signal ? { signal: options.signal } : {}) });
        if (response.status < 200 || response.status > 299) {
          // A missing /sitemap.xml is the common case, not worth a report.
          if (response.status !== 404 && response.status !== 410) {
            options.onError?.(url, new FetchError(url, 'status', `Sitemap ${url} answered HTTP ${response.status}.`, { status: response.status }));
          }
          continue;
        }
        let bytes = response.raw ?? Buffer.alloc(0);
        if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) bytes = gunzipBounded(bytes, url, maxBytes);
        const parsed = parseSitemap(bytes.toString('utf8'));
        for (const entry of parsed.pages) {
          if (pages.size >= maxPages) break;
          if (!pages.has(entry.url)) pages.set(entry.url, entry);
        }
        for (const child of parsed.sitemaps) if (URL.canParse(child, url)) next.push(new URL(child, url).href);
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        options.onError?.(url, error instanceof Error ? error : new Error(String(error)));
      }
    }
    level = next;
  }
  return [...pages.values()];
}
