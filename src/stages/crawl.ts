/**
 * The crawl stage: breadth-first over one site, yielding every reachable page once.
 *
 * Design:
 * - Scope is the start URL's host (hostname plus non-default port), whatever the scheme: http and
 *   https of a host are one site, because sites commonly redirect one to the other and leave stale
 *   absolute links of the other scheme behind. When the start URL itself redirects to another host
 *   (`example.com` → `www.example.com`), that host joins the scope: it is what the user meant.
 * - Pages are identified by `normalizeUrl` without the scheme, so `http://x/a` and `https://x/a`
 *   are fetched once. The link is fetched as written (minus the fragment), not in normalised form,
 *   because some static hosts serve `dir/index.html` but not `dir/`.
 * - Results are processed and yielded in dispatch order (breadth-first order), so a crawl of an
 *   unchanged site yields the same documents in the same order, whatever the network timing.
 * - Backpressure: at most `concurrency` requests are in flight or waiting to be consumed; nothing
 *   more is fetched until the consumer pulls. Breaking out of the loop aborts in-flight requests.
 * - Discovery: robots.txt of each origin is read before its first page (disallowed pages are
 *   skipped, `Crawl-delay` spaces requests); sitemaps named there and `/sitemap.xml` (indexes,
 *   nested, gzipped) add the pages no link reaches, after the start page's own links.
 * - Sitemaps and `<link rel=canonical>` that name another host are a mirror's copy of production
 *   (a staging site, a local copy): sitemap URLs are read on the sitemap's own host, canonical
 *   links out of scope are ignored — the crawl never leaves its scope because of them.
 * - Incremental: given `history`, a page is not fetched when its sitemap `lastmod` is unchanged,
 *   and is fetched with `If-None-Match`/`If-Modified-Since` otherwise; an unchanged page yields
 *   nothing but its stored links are followed. `history.finished`/`queued` resume a killed crawl.
 * - Statistics live on the returned generator (`pages.stats`, updated as the crawl goes) and are
 *   its return value; `onEvent` reports each page and each skip as it happens.
 */
import { Parser } from 'htmlparser2';
import { ConfigError, FetchError, describeValue } from '../errors.js';
import { checkBoolean, checkInteger } from '../options/check.js';
import { CRAWL_DEFAULTS } from '../options/defaults.js';
import {
  createHttpClient,
  DEFAULT_USER_AGENT,
  type HttpGetOptions,
  type HttpResponse,
  type ResponseHead,
} from '../net/http-get.js';
import type { SourceDocument } from '../types.js';
import { fetchRobots, type RobotsRules } from '../crawl/robots.js';
import { readSitemaps, type SitemapEntry } from '../crawl/sitemap.js';
import { createScope, createTrapGuard, stripSessionIds, type ScopeOptions, type TrapOptions } from '../crawl/scope.js';
import { KeyedSemaphore, RateGate } from '../crawl/politeness.js';
import { backoffMs, parseRetryAfter, sleep } from '../net/retry.js';

/** Why a page was not yielded. */
export type CrawlSkipReason =
  /** The final response was not 2xx (nor 304 to a conditional request). */
  | 'status'
  /** Not HTML, Markdown or plain text. */
  | 'content-type'
  /** It redirects to a page already fetched or queued (the redirect is not followed), or its canonical URL was. */
  | 'duplicate'
  /** It redirects outside the crawl's scope (the redirect is not followed). */
  | 'off-site'
  /** robots.txt disallows it for our user agent. */
  | 'robots'
  /** `<meta name=robots content=noindex>` or `X-Robots-Tag: noindex` (its links are still followed). */
  | 'noindex'
  /** Its URL looks like a crawler trap (see `TrapOptions`); not fetched. */
  | 'trap'
  /** Fetch failures, as `FetchError.reason`. */
  | 'private-address'
  | 'scheme'
  | 'timeout'
  | 'too-large'
  | 'redirects'
  | 'network';

const SKIP_REASONS: readonly CrawlSkipReason[] = [
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

/** Decode percent-escapes of unreserved characters and upper-case the rest (RFC 3986 §6.2.2). */
function normalizePercent(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_escape: string, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * The canonical form of a URL, used to recognise the same page behind different spellings:
 * - the fragment is dropped, scheme and host are lower-cased, a default port is dropped, IDN
 *   hosts are punycoded, dot segments are resolved (all by the WHATWG URL parser);
 * - in the path, runs of slashes become one and a final `index.html`/`index.htm` is dropped
 *   (`dir/index.html` ≡ `dir/`) — but `dir` and `dir/` stay distinct, as servers may treat them
 *   differently (they usually redirect, and the crawler records redirect targets as seen);
 * - percent-escapes of unreserved characters are decoded and others upper-cased (`%7e` → `~`,
 *   `%2f` → `%2F`), in path and query;
 * - the query is kept in its original order: parameter order is significant to some applications,
 *   and a sorted URL is one no page links to. An empty query (`?`) is dropped.
 *
 * Path rules apply to http(s) URLs only; other schemes only lose their fragment.
 * @throws ConfigError when `url` is not an absolute URL
 */
export function normalizeUrl(url: string | URL): string {
  const text = url instanceof URL ? url.href : url;
  if (typeof text !== 'string' || !URL.canParse(text)) {
    throw new ConfigError('url', url, `${describeValue(url)} is not an absolute URL.`);
  }
  const parsed = new URL(text);
  parsed.hash = '';
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
    parsed.pathname = normalizePercent(parsed.pathname)
      .replace(/\/{2,}/g, '/')
      .replace(/\/index\.html?$/, '/');
    parsed.search = normalizePercent(parsed.search);
  }
  // `search` reads '' for a bare '?', and assigning '' removes the '?' from `href`.
  if (parsed.search === '') parsed.search = '';
  return parsed.href;
}

/** Identity of a page: the normalised URL without its scheme (http and https of a page are one). */
export function pageKey(url: string | URL): string {
  const normalized = normalizeUrl(url);
  return normalized.slice(normalized.indexOf('//') + 2);
}

/** What the crawler needs from an HTML page. */
export interface PageLinks {
  /** `<a href>`/`<area href>` resolved against `<base href>` and the page URL, fragments removed. */
  links: URL[];
  /** `<link rel=canonical href>`, resolved. */
  canonical?: URL;
  /** `<meta name=robots|ragline content=noindex>` (or `none`). */
  noindex: boolean;
  /** `<meta name=robots|ragline content=nofollow>` (or `none`). */
  nofollow: boolean;
}

/**
 * Links, canonical URL and robots directives of an HTML page. `<meta name="ragline">` directives
 * apply as well as `<meta name="robots">`, like `googlebot` for Google.
 */
export function readPageLinks(html: string, pageUrl: string | URL): PageLinks {
  const hrefs: string[] = [];
  let baseHref: string | undefined;
  let canonicalHref: string | undefined;
  let noindex = false;
  let nofollow = false;
  // htmlparser2's callback interface builds no DOM: several times faster than a cheerio load
  // for the only things needed here.
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'meta') {
          const metaName = attributes['name']?.toLowerCase();
          if (metaName === 'robots' || metaName === 'ragline') {
            const content = (attributes['content'] ?? '').toLowerCase();
            if (/\b(noindex|none)\b/.test(content)) noindex = true;
            if (/\b(nofollow|none)\b/.test(content)) nofollow = true;
          }
          return;
        }
        const href = attributes['href'];
        if (href === undefined) return;
        if (name === 'a' || name === 'area') hrefs.push(href);
        // Only the first <base href> counts (HTML standard).
        else if (name === 'base' && baseHref === undefined) baseHref = href;
        else if (name === 'link' && canonicalHref === undefined && /(^|\s)canonical(\s|$)/i.test(attributes['rel'] ?? '')) {
          canonicalHref = href;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();

  const page = new URL(pageUrl);
  let base = page;
  if (baseHref !== undefined && URL.canParse(baseHref, base.href)) {
    const candidate = new URL(baseHref, base);
    if (candidate.protocol === 'http:' || candidate.protocol === 'https:') base = candidate;
  }
  const links: URL[] = [];
  for (const href of hrefs) {
    if (!URL.canParse(href, base.href)) continue;
    const link = new URL(href, base);
    // mailto:, javascript:, tel:, data:, ftp: ... are not pages to crawl.
    if (link.protocol !== 'http:' && link.protocol !== 'https:') continue;
    link.hash = '';
    links.push(link);
  }
  const result: PageLinks = { links, noindex, nofollow };
  if (canonicalHref !== undefined && URL.canParse(canonicalHref.trim(), base.href)) {
    const canonical = new URL(canonicalHref.trim(), base);
    canonical.hash = '';
    if (canonical.protocol === 'http:' || canonical.protocol === 'https:') result.canonical = canonical;
  }
  return result;
}

/** Links of an HTML page: `<a href>`/`<area href>` resolved against `<base href>` and the page URL. */
export function extractLinks(html: string, pageUrl: string | URL): URL[] {
  return readPageLinks(html, pageUrl).links;
}

/** File extension of a URL's last path segment, lower case, without the dot. */
function extensionOf(url: URL): string {
  const segment = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  const dot = segment.lastIndexOf('.');
  return dot === -1 ? '' : segment.slice(dot + 1).toLowerCase();
}

const MARKDOWN_EXTENSIONS = new Set(['md', 'markdown']);
const TEXT_EXTENSIONS = new Set(['txt', 'text']);
/** Types that carry no reliable information, so the URL's extension decides. */
const UNTYPED = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/**
 * The document type of a response, or undefined when it is not a document this stage yields.
 * `body` is undefined before the body is read: the answer is then "maybe" (true) for untyped
 * responses whose body must be sniffed.
 */
function documentType(head: ResponseHead, body: string | undefined): string | undefined {
  const url = new URL(head.url);
  const extension = extensionOf(url);
  switch (head.contentType) {
    case 'text/html':
    case 'application/xhtml+xml':
      return 'text/html';
    case 'text/markdown':
    case 'text/x-markdown':
      return 'text/markdown';
    case 'text/plain':
      // Many static servers do not know .md and send text/plain.
      return MARKDOWN_EXTENSIONS.has(extension) ? 'text/markdown' : 'text/plain';
  }
  if (!UNTYPED.has(head.contentType)) return undefined;
  if (MARKDOWN_EXTENSIONS.has(extension)) return 'text/markdown';
  if (TEXT_EXTENSIONS.has(extension)) return 'text/plain';
  if (head.contentType !== '') return undefined;
  // No content-type at all: sniff for HTML, as browsers do.
  if (body === undefined) return 'text/html';
  return /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]/i.test(body)
    ? 'text/html'
    : undefined;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);


/** A page waiting to be fetched or being fetched. */
interface Task {
  /** URL to request (as linked, fragment removed). */
  url: URL;
  /** `pageKey` of `url`. */
  key: string;
  depth: number;
}

/** What a request settles with: it never rejects, so an abandoned one cannot go unhandled. */
type Outcome =
  | { response: HttpResponse }
  | { error: unknown }
  | { robots: RobotsRules }
  | { unchanged: PreviousPage; reason: 'sitemap-lastmod' };

/** Whether a fetch failure is worth trying again. */
const isTransient = (error: unknown): boolean =>
  error instanceof FetchError && (error.reason === 'timeout' || error.reason === 'network') && error.status === undefined;

/** A single header value. */
const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

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
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('options', options, `Options must be an object, got ${describeValue(options)}.`);
  }
  const text = startUrl instanceof URL ? startUrl.href : startUrl;
  if (typeof text !== 'string' || !URL.canParse(text)) {
    throw new ConfigError(
      'startUrl',
      startUrl,
      `Start URL ${describeValue(startUrl)} is not an absolute URL; write it with its scheme, ` +
        `e.g. https://example.com/.`,
    );
  }
  const start = new URL(text);
  start.hash = '';
  if (start.protocol !== 'http:' && start.protocol !== 'https:') {
    const hint = start.protocol === 'file:' ? ' To read local files, pass a folder or file path.' : '';
    throw new FetchError(
      start.href,
      'scheme',
      `Refusing to crawl ${start.href}: only http: and https: URLs can be crawled (got ${start.protocol}).${hint}`,
    );
  }
  const maxPages = checkInteger('maxPages', options.maxPages ?? CRAWL_DEFAULTS.maxPages, { min: 1 });
  const concurrency = checkInteger('concurrency', options.concurrency ?? CRAWL_DEFAULTS.concurrency, { min: 1 });
  const concurrencyPerHost = checkInteger('concurrencyPerHost', options.concurrencyPerHost ?? concurrency, { min: 1 });
  const maxDepth = countOrInfinity('maxDepth', options.maxDepth ?? CRAWL_DEFAULTS.maxDepth);
  const delayMs = countOrInfinity('delayMs', options.delayMs ?? CRAWL_DEFAULTS.delayMs);
  const retries = countOrInfinity('retries', options.retries ?? CRAWL_DEFAULTS.retries);
  const retryBaseMs = countOrInfinity('retryBaseMs', options.retryBaseMs ?? CRAWL_DEFAULTS.retryBaseMs);
  const maxRetryAfterMs = countOrInfinity('maxRetryAfterMs', options.maxRetryAfterMs ?? CRAWL_DEFAULTS.maxRetryAfterMs);
  const perMinute = options.maxRequestsPerMinute === undefined ? undefined : checkInteger('maxRequestsPerMinute', options.maxRequestsPerMinute, { min: 1 });
  const obeyRobots = checkBoolean('robots', options.robots ?? true);
  const readSitemapFiles = checkBoolean('sitemaps', options.sitemaps ?? true);
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new ConfigError('onEvent', options.onEvent, `onEvent must be a function, got ${describeValue(options.onEvent)}.`);
  }
  const history = options.history ?? {};
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const scope = createScope(start, options);
  const traps = createTrapGuard(options);
  const userSignal = options.signal;
  // Aborted when the consumer stops: cancels the requests still in flight.
  const stopped = new AbortController();
  const signal = userSignal === undefined ? stopped.signal : AbortSignal.any([userSignal, stopped.signal]);
  // Validates the HTTP options now (ConfigError at call time, not at the first page).
  const client = createHttpClient({ ...options, signal });

  const stats: CrawlStats = {
    pages: 0,
    unchanged: 0,
    fetched: 0,
    retries: 0,
    sitemapPages: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Record<CrawlSkipReason, number>,
    complete: false,
  };
  const emit = (event: CrawlEvent): void => options.onEvent?.(event);

  // robots.txt per origin, fetched once, before the origin's first page.
  const robotsByOrigin = new Map<string, Promise<RobotsRules | undefined>>();
  const robotsLoaded = new Map<string, RobotsRules>();
  const robotsFor = (url: URL): Promise<RobotsRules | undefined> => {
    if (!obeyRobots) return Promise.resolve(undefined);
    let rules = robotsByOrigin.get(url.origin);
    if (rules === undefined) {
      // An unreachable robots.txt blocks the whole origin (RFC 9309): worth the same retries as a page.
      const load = async (): Promise<RobotsRules> => {
        for (let attempt = 0; ; attempt++) {
          const loaded = await fetchRobots(client, url, userAgent, signal);
          if (loaded.source !== 'unreachable' || attempt >= retries) return loaded;
          stats.retries += 1;
          await sleep(backoffMs(attempt + 1, retryBaseMs), signal);
        }
      };
      rules = load().then(
        (loaded) => {
          robotsLoaded.set(url.origin, loaded);
          if (loaded.source === 'unreachable') {
            emit({ type: 'warning', url: loaded.url, message: `${loaded.url} could not be read; RFC 9309 says to crawl nothing of ${url.origin} until it can.` });
          }
          return loaded;
        },
        (error: unknown) => {
          if (error instanceof FetchError) return undefined; // the page request will fail the same way
          throw error;
        },
      );
      robotsByOrigin.set(url.origin, rules);
    }
    return rules;
  };
  // Keyed by origin, like robots.txt: its Crawl-delay applies to the origin it came from.
  const hostGate = new RateGate((origin) => Math.max(delayMs, robotsLoaded.get(origin)?.crawlDelayMs ?? 0));
  const globalGate = new RateGate(() => (perMinute === undefined ? 0 : 60_000 / perMinute));
  const hostSlots = concurrencyPerHost < concurrency ? new KeyedSemaphore(concurrencyPerHost) : undefined;

  async function* run(): AsyncGenerator<SourceDocument, CrawlStats, undefined> {
    const seen = new Set<string>(history.finished ?? []);
    // A queue with a moving head: Array#shift would make a large crawl quadratic.
    const frontier: Array<Task | undefined> = [];
    let frontierHead = 0;
    const inFlight: Array<{ task: Task; outcome: Promise<Outcome> }> = [];
    /** Sitemap `lastmod` by page key. */
    const lastmods = new Map<string, string>();
    let truncated = false;

    /** Add pages to the frontier (deduplicated, trap-checked); reports what was queued. */
    const enqueue = (candidates: Iterable<{ url: URL; depth: number }>, parent?: Task): void => {
      const queued: Array<{ key: string; url: string; depth: number }> = [];
      for (const candidate of candidates) {
        const url = stripSessionIds(candidate.url);
        const key = pageKey(url);
        if (seen.has(key)) continue;
        seen.add(key);
        const trap = candidate.depth === 0 ? undefined : traps.check(url, candidate.depth);
        if (trap !== undefined) {
          const task = { url, key, depth: candidate.depth };
          skip(task, url.href, 'trap', `Not following ${url.href}${parent ? ` (linked from ${parent.url.href})` : ''}: ${trap}.`);
          continue;
        }
        frontier.push({ url, key, depth: candidate.depth });
        queued.push({ key, url: url.href, depth: candidate.depth });
      }
      if (queued.length > 0) emit({ type: 'queued', pages: queued });
    };

    /** Links of a page that the crawl may follow. */
    const followable = (links: Iterable<URL | string>, depth: number): Array<{ url: URL; depth: number }> => {
      if (depth > maxDepth) return [];
      const out: Array<{ url: URL; depth: number }> = [];
      for (const link of links) {
        const url = typeof link === 'string' ? (URL.canParse(link) ? new URL(link) : undefined) : link;
        if (url !== undefined && scope.admits(url)) out.push({ url, depth });
      }
      return out;
    };

    const shouldReadBody = (head: ResponseHead): boolean =>
      head.status >= 200 && head.status < 300 && documentType(head, undefined) !== undefined;

    /**
     * Follow a redirect only to a page not seen yet (or to another spelling of the page being
     * fetched, e.g. http → https or `dir/index.html` → `dir/`), and only within scope except for
     * the start URL, whose redirects define the scope. The target is marked seen at once, so a
     * page is fetched once even when a link to it and a redirect to it race.
     */
    const redirectPolicy = (task: Task) => {
      const chain = new Set([task.key]);
      return (next: URL): boolean => {
        const key = pageKey(next);
        if (chain.has(key)) return true;
        if (task.depth > 0 && !scope.contains(next)) return false;
        if (seen.has(key)) return false;
        // A disallowed target is not fetched (when its origin's rules are known; else the start check applies).
        if (robotsLoaded.get(next.origin)?.isAllowed(next) === false) return false;
        seen.add(key);
        chain.add(key);
        return true;
      };
    };

    /** Fetch a task: robots check, politeness, conditional headers, retries. */
    const fetchTask = async (task: Task): Promise<Outcome> => {
      const rules = await robotsFor(task.url);
      if (rules !== undefined && !rules.isAllowed(task.url)) return { robots: rules };
      const previous = history.previous?.(task.key);
      const lastmod = lastmods.get(task.key);
      if (previous !== undefined && lastmod !== undefined && previous.sitemapLastmod === lastmod) {
        return { unchanged: previous, reason: 'sitemap-lastmod' };
      }
      const headers: Record<string, string> = {};
      if (previous?.etag) headers['if-none-match'] = previous.etag;
      if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
      const follow = redirectPolicy(task);
      for (let attempt = 0; ; attempt++) {
        const release = await hostSlots?.acquire(task.url.origin, signal);
        let response: HttpResponse;
        try {
          await hostGate.wait(task.url.origin, signal);
          await globalGate.wait('*', signal);
          response = await client.get(task.url, { shouldReadBody, shouldFollowRedirect: follow, headers });
        } catch (error) {
          release?.();
          if (attempt < retries && isTransient(error) && !signal.aborted) {
            stats.retries += 1;
            await sleep(backoffMs(attempt + 1, retryBaseMs), signal);
            continue;
          }
          throw error;
        }
        release?.();
        const { status } = response;
        if (attempt < retries && (status === 429 || status >= 500)) {
          const asked = status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
          if (asked === undefined || asked <= maxRetryAfterMs) {
            stats.retries += 1;
            const wait = asked ?? backoffMs(attempt + 1, retryBaseMs);
            // The whole host is told to slow down, not just this page.
            hostGate.deferUntil(task.url.origin, Date.now() + wait);
            continue;
          }
        }
        return { response };
      }
    };

    /** Start requests until `concurrency` are outstanding or nothing more could be yielded. */
    const dispatch = (): void => {
      while (
        inFlight.length < concurrency &&
        frontierHead < frontier.length &&
        stats.pages + stats.unchanged + inFlight.length < maxPages
      ) {
        const task = frontier[frontierHead];
        frontier[frontierHead++] = undefined; // let the GC have it
        if (task === undefined) continue;
        const outcome = fetchTask(task).then(
          (settled) => settled,
          (error: unknown): Outcome => ({ error }),
        );
        inFlight.push({ task, outcome });
      }
    };

    function skip(
      task: Task,
      url: string,
      reason: CrawlSkipReason,
      message: string,
      extra: { status?: number; contentType?: string; error?: Error } = {},
    ): void {
      stats.skipped[reason] += 1;
      emit({ type: 'skip', url, key: task.key, reason, depth: task.depth, message, ...extra });
    }

    /** Pages of the sitemaps of the start URL's origin (robots.txt `Sitemap:` lines and `/sitemap.xml`). */
    const discoverSitemaps = async (): Promise<SitemapEntry[]> => {
      if (!readSitemapFiles) return [];
      const rules = await robotsFor(start);
      const roots = [...(rules?.sitemaps ?? []), `${start.origin}/sitemap.xml`];
      return readSitemaps(roots, {
        client,
        maxPages: Math.max(maxPages * 2, 1000),
        signal,
        // Sitemaps of other hosts are not read: only the site's own say what the site has.
        allowSitemap: (url) => scope.contains(url) || url.origin === start.origin,
        onError: (url, error) => emit({ type: 'warning', url, message: error.message }),
      });
    };

    /** Sitemap pages, each on the host of the crawl (a mirror's sitemap names production). */
    const sitemapTasks = (entries: SitemapEntry[]): Array<{ url: URL; depth: number }> => {
      const candidates: Array<{ url: URL; depth: number }> = [];
      for (const entry of entries) {
        if (!URL.canParse(entry.url, start.href)) continue;
        let url = new URL(entry.url, start);
        if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
        if (!scope.contains(url)) url = new URL(url.pathname + url.search, start);
        url.hash = '';
        if (entry.lastmod !== undefined) lastmods.set(pageKey(url), entry.lastmod);
        candidates.push({ url, depth: 1 });
      }
      stats.sitemapPages = candidates.length;
      return followable(
        candidates.map((c) => c.url),
        1,
      );
    };

    const sitemapPages = discoverSitemaps().then(
      (entries) => ({ entries }),
      (error: unknown) => ({ error }),
    );
    let sitemapsQueued = false;
    const queueSitemapPages = async (): Promise<void> => {
      if (sitemapsQueued) return;
      sitemapsQueued = true;
      const loaded = await sitemapPages;
      if ('error' in loaded) throw loaded.error;
      enqueue(sitemapTasks(loaded.entries));
    };

    const startKey = pageKey(stripSessionIds(start));
    if (history.queued !== undefined && history.queued.length > 0) {
      // Resuming: the interrupted run's frontier, in its order.
      enqueue(
        history.queued.flatMap((page) => (URL.canParse(page.url) ? [{ url: new URL(page.url), depth: page.depth }] : [])),
      );
      if (history.finished?.has(startKey)) await queueSitemapPages();
    }
    if (!history.finished?.has(startKey)) enqueue([{ url: start, depth: 0 }]);
    else await queueSitemapPages();
    try {
      for (;;) {
        dispatch();
        const next = inFlight.shift();
        if (next === undefined) {
          if (!sitemapsQueued) {
            await queueSitemapPages();
            continue;
          }
          break;
        }
        const { task } = next;
        const outcome = await next.outcome;
        userSignal?.throwIfAborted();
        const isStart = task.key === startKey;

        if ('robots' in outcome) {
          if (isStart) {
            throw new FetchError(
              task.url.href,
              'robots',
              outcome.robots.source === 'unreachable'
                ? `${outcome.robots.url} could not be read (a 5xx or no answer), which means "crawl nothing" (RFC 9309); ` +
                    `try again later, or ignore robots.txt (\`robots: false\`) if the site is yours.`
                : `${outcome.robots.url} disallows the start URL ${task.url.href} for user agent "${userAgent}"; ` +
                    `set another start URL, or ignore robots.txt (\`robots: false\`) if the site is yours.`,
            );
          }
          skip(task, task.url.href, 'robots', `${task.url.href} is disallowed by ${outcome.robots.url}.`);
          continue;
        }
        if ('unchanged' in outcome) {
          stats.unchanged += 1;
          emit({ type: 'unchanged', url: outcome.unchanged.url, key: task.key, depth: task.depth, reason: outcome.reason, previous: outcome.unchanged, ...lastmodOf(task) });
          enqueue(followable(outcome.unchanged.links, task.depth + 1), task);
          if (isStart) await queueSitemapPages();
          if (stats.pages + stats.unchanged >= maxPages) {
            truncated = frontierHead < frontier.length || inFlight.length > 0;
            break;
          }
          continue;
        }
        stats.fetched += 1;

        if ('error' in outcome) {
          const { error } = outcome;
          // The start URL failing means there is nothing to crawl: say so at once.
          if (isStart || !(error instanceof FetchError)) throw error;
          const reason = (SKIP_REASONS as readonly string[]).includes(error.reason)
            ? (error.reason as CrawlSkipReason)
            : 'network';
          skip(task, task.url.href, reason, error.message, {
            error,
            ...(error.status === undefined ? {} : { status: error.status }),
          });
          continue;
        }

        const { response } = outcome;
        const final = new URL(response.url);
        const url = normalizeUrl(final);
        const details = { status: response.status, contentType: response.contentType };
        // The start URL's final host is in scope: `example.com` → `www.example.com`.
        if (isStart) scope.addHost(final);
        const previous = history.previous?.(task.key);
        if (response.status === 304 && previous !== undefined) {
          stats.unchanged += 1;
          emit({ type: 'unchanged', url: previous.url, key: task.key, depth: task.depth, reason: 'not-modified', previous, ...lastmodOf(task) });
          enqueue(followable(previous.links, task.depth + 1), task);
          if (isStart) await queueSitemapPages();
          if (stats.pages + stats.unchanged >= maxPages) {
            truncated = frontierHead < frontier.length || inFlight.length > 0;
            break;
          }
          continue;
        }
        const location = response.headers.location;
        if (REDIRECT_STATUSES.has(response.status) && location !== undefined) {
          // A redirect the policy above declined to follow.
          const target = URL.canParse(location, final.href) ? new URL(location, final) : final;
          if (scope.contains(target)) {
            skip(task, url, 'duplicate', `${url} redirects to ${normalizeUrl(target)}, already crawled.`, details);
          } else {
            skip(task, url, 'off-site', `${url} redirects off-site to ${normalizeUrl(target)}.`, details);
          }
          continue;
        }
        if (response.status < 200 || response.status > 299) {
          if (isStart) {
            throw new FetchError(
              task.url.href,
              'status',
              `The start URL ${task.url.href} answered HTTP ${response.status}; check the address.`,
              { status: response.status },
            );
          }
          skip(task, url, 'status', `${url} answered HTTP ${response.status}.`, details);
          continue;
        }
        const contentType = documentType(response, response.body);
        if (contentType === undefined) {
          skip(task, url, 'content-type', `${url} is ${response.contentType || 'untyped'}, not a document.`, details);
          continue;
        }
        const robotsHeader = String(response.headers['x-robots-tag'] ?? '').toLowerCase();
        let noindex = /\b(noindex|none)\b/.test(robotsHeader);
        let nofollow = /\b(nofollow|none)\b/.test(robotsHeader);
        let links: URL[] = [];
        let documentUrl = url;
        let duplicateOf: string | undefined;
        if (contentType === 'text/html') {
          const page = readPageLinks(response.body, final);
          noindex ||= page.noindex;
          nofollow ||= page.nofollow;
          links = page.links;
          // A canonical URL in scope names the page; out of scope (a mirror's), it is ignored.
          if (page.canonical !== undefined && scope.contains(page.canonical)) {
            const canonicalKey = pageKey(page.canonical);
            if (canonicalKey !== pageKey(final) && canonicalKey !== task.key) {
              if (seen.has(canonicalKey)) duplicateOf = normalizeUrl(page.canonical);
              else {
                seen.add(canonicalKey);
                documentUrl = normalizeUrl(page.canonical);
              }
            }
          }
        }
        const followed = nofollow ? [] : followable(links, task.depth + 1);
        enqueue(followed, task);
        if (isStart) await queueSitemapPages();
        if (noindex) {
          skip(task, url, 'noindex', `${url} asks not to be indexed (robots noindex); its links are followed.`, details);
          continue;
        }
        if (duplicateOf !== undefined) {
          skip(task, url, 'duplicate', `${url} names ${duplicateOf} as its canonical URL, already crawled.`, details);
          continue;
        }

        stats.pages += 1;
        const etag = headerValue(response.headers.etag);
        const lastModified = headerValue(response.headers['last-modified']);
        emit({
          type: 'page',
          url: documentUrl,
          key: task.key,
          status: response.status,
          contentType,
          depth: task.depth,
          bytes: response.bytes,
          ...(etag ? { etag } : {}),
          ...(lastModified ? { lastModified } : {}),
          ...lastmodOf(task),
          links: followed.map((link) => link.url.href),
        });
        // Keep the pipeline full while the consumer works on this document.
        dispatch();
        yield { url: documentUrl, contentType, body: response.body, fetchedAt: new Date(), status: response.status, depth: task.depth };
        if (stats.pages + stats.unchanged >= maxPages) {
          truncated = frontierHead < frontier.length || inFlight.length > 0;
          break;
        }
      }
      stats.complete = !truncated;
    } finally {
      // Runs on completion, on error and when the consumer breaks out of its loop.
      stopped.abort();
      client.close();
    }
    return stats;

    function lastmodOf(task: Task): { sitemapLastmod?: string } {
      const lastmod = lastmods.get(task.key);
      return lastmod === undefined ? {} : { sitemapLastmod: lastmod };
    }
  }

  return Object.assign(run(), { stats });
}

/** A whole number of hops, milliseconds or retries, from 0 up; `Infinity` means no bound. */
function countOrInfinity(name: string, value: unknown): number {
  return value === Infinity ? value : checkInteger(name, value, { min: 0 });
}
