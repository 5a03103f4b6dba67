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
 * - Statistics live on the returned generator (`pages.stats`, updated as the crawl goes) and are
 *   its return value; `onEvent` reports each page and each skip as it happens.
 */
import { Parser } from 'htmlparser2';
import { ConfigError, FetchError, describeValue } from '../errors.js';
import {
  createHttpClient,
  type HttpGetOptions,
  type HttpResponse,
  type ResponseHead,
} from '../net/http-get.js';
import type { SourceDocument } from '../types.js';

/** Why a page was not yielded. */
export type CrawlSkipReason =
  /** The final response was not 2xx. */
  | 'status'
  /** Not HTML, Markdown or plain text. */
  | 'content-type'
  /** It redirects to a page already fetched or queued (the redirect is not followed). */
  | 'duplicate'
  /** It redirects outside the crawl's scope (the redirect is not followed). */
  | 'off-site'
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
  /** Requests completed (including those that failed or were skipped). */
  fetched: number;
  /** Pages not yielded, by reason (every reason present, zero when none). */
  skipped: Record<CrawlSkipReason, number>;
}

/** Progress of a crawl, reported through `onEvent`. */
export type CrawlEvent =
  | {
      type: 'page';
      /** Normalised final URL of the document. */
      url: string;
      status: number;
      contentType: string;
      /** Link distance from the start URL. */
      depth: number;
      /** Decoded body size in bytes. */
      bytes: number;
    }
  | {
      type: 'skip';
      /** The URL as requested (for failures) or the final URL (for responses). */
      url: string;
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
    };

/** Options of `crawl`: the crawl's own plus every `httpGet` option, applied to each request. */
export interface CrawlOptions extends HttpGetOptions {
  /**
   * Stop after yielding this many documents. Requests are not dispatched beyond what could still
   * be yielded, so a small `maxPages` also means few requests.
   * @default 1000
   */
  maxPages?: number;
  /**
   * Maximum number of requests in flight (and of fetched documents waiting for the consumer).
   * @default 8
   */
  concurrency?: number;
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

/** Identity of a page: the normalised URL without its scheme. */
function pageKey(url: string | URL): string {
  const normalized = normalizeUrl(url);
  return normalized.slice(normalized.indexOf('//') + 2);
}

/** Links of an HTML page: `<a href>`/`<area href>` resolved against `<base href>` and the page URL. */
export function extractLinks(html: string, pageUrl: string | URL): URL[] {
  const hrefs: string[] = [];
  let baseHref: string | undefined;
  // htmlparser2's callback interface builds no DOM: several times faster than a cheerio load
  // for the only thing needed here.
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const href = attributes['href'];
        if (href === undefined) return;
        if (name === 'a' || name === 'area') hrefs.push(href);
        // Only the first <base href> counts (HTML standard).
        else if (name === 'base' && baseHref === undefined) baseHref = href;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();

  let base = new URL(pageUrl);
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
  return links;
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

/** Validate a whole-number option. */
function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(name, value, `${name} must be an integer >= 1, got ${describeValue(value)}.`);
  }
  return value;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** The host part that defines scope: hostname plus non-default port (`URL.host`). */
const scopeKey = (url: URL): string => url.host;

/** A page waiting to be fetched or being fetched. */
interface Task {
  /** URL to request (as linked, fragment removed). */
  url: URL;
  /** `pageKey` of `url`. */
  key: string;
  depth: number;
}

/** What a request settles with: it never rejects, so an abandoned one cannot go unhandled. */
type Outcome = { response: HttpResponse } | { error: unknown };

/**
 * Crawl a site breadth-first from `startUrl`, yielding each reachable HTML, Markdown and
 * plain-text page once as a `SourceDocument` (with its normalised final URL).
 *
 * Failures of individual pages (timeouts, 404s, non-HTML responses, oversized bodies) are
 * counted in `stats.skipped` and reported through `onEvent`; they do not stop the crawl. The
 * start URL is different: if it is refused (private address, bad scheme) or fails, the crawl
 * throws that `FetchError` at once. A malformed start URL or option throws `ConfigError` when
 * `crawl` is called.
 *
 * @example
 * const pages = crawl('https://docs.example.com/', { maxPages: 200 });
 * for await (const page of pages) console.log(page.url);
 * console.log(pages.stats); // { pages: 180, fetched: 201, skipped: { status: 3, ... } }
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
  const maxPages = positiveInteger('maxPages', options.maxPages, 1000);
  const concurrency = positiveInteger('concurrency', options.concurrency, 8);
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new ConfigError('onEvent', options.onEvent, `onEvent must be a function, got ${describeValue(options.onEvent)}.`);
  }
  const userSignal = options.signal;
  // Aborted when the consumer stops: cancels the requests still in flight.
  const stopped = new AbortController();
  const signal = userSignal === undefined ? stopped.signal : AbortSignal.any([userSignal, stopped.signal]);
  // Validates the HTTP options now (ConfigError at call time, not at the first page).
  const client = createHttpClient({ ...options, signal });

  const stats: CrawlStats = {
    pages: 0,
    fetched: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Record<CrawlSkipReason, number>,
  };
  const emit = (event: CrawlEvent): void => options.onEvent?.(event);

  async function* run(): AsyncGenerator<SourceDocument, CrawlStats, undefined> {
    const scope = new Set([scopeKey(start)]);
    const seen = new Set<string>();
    // A queue with a moving head: Array#shift would make a large crawl quadratic.
    const frontier: Array<Task | undefined> = [];
    let frontierHead = 0;
    const inFlight: Array<{ task: Task; outcome: Promise<Outcome> }> = [];

    const enqueue = (url: URL, depth: number): void => {
      const key = pageKey(url);
      if (seen.has(key)) return;
      seen.add(key);
      frontier.push({ url, key, depth });
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
        if (task.depth > 0 && !scope.has(scopeKey(next))) return false;
        if (seen.has(key)) return false;
        seen.add(key);
        chain.add(key);
        return true;
      };
    };

    /** Start requests until `concurrency` are outstanding or nothing more could be yielded. */
    const dispatch = (): void => {
      while (
        inFlight.length < concurrency &&
        frontierHead < frontier.length &&
        stats.pages + inFlight.length < maxPages
      ) {
        const task = frontier[frontierHead];
        frontier[frontierHead++] = undefined; // let the GC have it
        if (task === undefined) continue;
        const outcome = client
          .get(task.url, { shouldReadBody, shouldFollowRedirect: redirectPolicy(task) })
          .then(
            (response): Outcome => ({ response }),
            (error: unknown): Outcome => ({ error }),
          );
        inFlight.push({ task, outcome });
      }
    };

    const skip = (
      task: Task,
      url: string,
      reason: CrawlSkipReason,
      message: string,
      extra: { status?: number; contentType?: string; error?: Error } = {},
    ): void => {
      stats.skipped[reason] += 1;
      emit({ type: 'skip', url, reason, depth: task.depth, message, ...extra });
    };

    enqueue(start, 0);
    try {
      for (;;) {
        dispatch();
        const next = inFlight.shift();
        if (next === undefined) break;
        const { task } = next;
        const outcome = await next.outcome;
        userSignal?.throwIfAborted();
        stats.fetched += 1;
        const isStart = task.depth === 0;

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
        if (isStart) scope.add(scopeKey(final));
        const location = response.headers.location;
        if (REDIRECT_STATUSES.has(response.status) && location !== undefined) {
          // A redirect the policy above declined to follow.
          const target = URL.canParse(location, final.href) ? new URL(location, final) : final;
          if (scope.has(scopeKey(target))) {
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
        if (contentType === 'text/html') {
          for (const link of extractLinks(response.body, final)) {
            if (scope.has(scopeKey(link))) enqueue(link, task.depth + 1);
          }
        }

        stats.pages += 1;
        emit({ type: 'page', url, status: response.status, contentType, depth: task.depth, bytes: response.bytes });
        // Keep the pipeline full while the consumer works on this document.
        dispatch();
        yield { url, contentType, body: response.body, fetchedAt: new Date(), status: response.status, depth: task.depth };
        if (stats.pages >= maxPages) break;
      }
    } finally {
      // Runs on completion, on error and when the consumer breaks out of its loop.
      stopped.abort();
      client.close();
    }
    return stats;
  }

  return Object.assign(run(), { stats });
}
