/**
 * One page request of a crawl: the robots.txt check, the sitemap `lastmod` shortcut, the
 * conditional request, politeness (per-origin spacing and slots, the crawl's rate), which
 * redirects to follow, which bodies to read, and retries.
 */
import { FetchError } from '../errors.js';
import type { HttpClient, HttpResponse, ResponseHead } from '../net/http-get.js';
import { backoffMs, parseRetryAfter, sleep } from '../net/retry.js';
import type { CrawlHistory, PreviousPage } from '../store/crawl-state-types.js';
import { classifyResponse, readsBytes } from './classify-response.js';
import type { CrawlSettings } from './crawl-settings.js';
import type { Frontier, Task } from './frontier.js';
import { pageKey } from './normalize-url.js';
import { KeyedSemaphore, RateGate } from './politeness.js';
import type { RobotsCache } from './robots-cache.js';
import type { RobotsRules } from './robots.js';
import type { Scope } from './scope.js';

/** What a request settles with: it never rejects, so an abandoned one cannot go unhandled. */
export type Outcome =
  | { response: HttpResponse }
  | { error: unknown }
  | { robots: RobotsRules }
  | { unchanged: PreviousPage; reason: 'sitemap-lastmod' };

/** Options of {@link PageFetcher}. */
export interface PageFetcherOptions {
  client: HttpClient;
  robots: RobotsCache;
  /** Redirect targets are claimed in it, so a page is fetched once. */
  frontier: Frontier;
  scope: Scope;
  history: CrawlHistory;
  /** Sitemap `lastmod` by page key. */
  lastmods: ReadonlyMap<string, string>;
  settings: Pick<
    CrawlSettings,
    'concurrency' | 'concurrencyPerHost' | 'delayMs' | 'maxRequestsPerMinute' | 'retries' | 'retryBaseMs' | 'maxRetryAfterMs' | 'maxFileBytes'
  >;
  signal: AbortSignal;
  /** Called before each retry of a page. */
  onRetry: () => void;
}

/** Whether a fetch failure is worth trying again. */
const isTransient = (error: unknown): boolean =>
  error instanceof FetchError && (error.reason === 'timeout' || error.reason === 'network') && error.status === undefined;

/** Read only the bodies of 2xx responses that may be documents. */
const shouldReadBody = (head: ResponseHead): boolean =>
  head.status >= 200 && head.status < 300 && classifyResponse(head.contentType, head.url, undefined) !== undefined;

/** PDF, Word and untyped bodies are read as bytes (untyped ones are sniffed, then decoded if text). */
const isBinary = (head: ResponseHead): boolean => readsBytes(classifyResponse(head.contentType, head.url, undefined));

/** Fetches the pages of one crawl; holds its politeness state (per-origin spacing and slots, the crawl's rate). */
export class PageFetcher {
  private readonly hostGate: RateGate;
  private readonly globalGate: RateGate;
  private readonly hostSlots: KeyedSemaphore | undefined;

  constructor(private readonly options: PageFetcherOptions) {
    const { robots, settings } = options;
    const { delayMs, maxRequestsPerMinute: perMinute, concurrency, concurrencyPerHost } = settings;
    // Keyed by origin, like robots.txt: its Crawl-delay applies to the origin it came from.
    this.hostGate = new RateGate((origin) => Math.max(delayMs, robots.loadedFor(origin)?.crawlDelayMs ?? 0));
    this.globalGate = new RateGate(() => (perMinute === undefined ? 0 : 60_000 / perMinute));
    this.hostSlots = concurrencyPerHost < concurrency ? new KeyedSemaphore(concurrencyPerHost) : undefined;
  }

  /** A binary document may be as large as `maxFileBytes`; pages keep the client's limit. */
  private readonly bodyLimit = (head: ResponseHead): number | undefined => {
    if (!isBinary(head)) return undefined;
    this.binaryUrls.add(head.url);
    return this.options.settings.maxFileBytes;
  };

  /** Final URLs of the binary downloads under way (a few; kept for the too-large message). */
  private readonly binaryUrls = new Set<string>();

  /** A binary download over `maxFileBytes` says so, naming the flag that raises it; other errors stay. */
  private fileTooLarge(error: unknown): unknown {
    if (!(error instanceof FetchError) || !this.binaryUrls.delete(error.url) || error.reason !== 'too-large') return error;
    const limit = this.options.settings.maxFileBytes;
    return new FetchError(error.url, 'too-large', `Skipped ${error.url}: the file is larger than maxFileBytes (${limit} bytes); raise it with --max-file-bytes.`, { cause: error });
  }

  /** Fetch a page: robots check, politeness, conditional headers, retries. */
  async fetch(task: Task): Promise<Outcome> {
    try {
      const rules = await this.options.robots.rulesFor(task.url);
      if (rules !== undefined && !rules.isAllowed(task.url)) return { robots: rules };
      const previous = this.options.history.previous?.(task.key);
      const lastmod = this.options.lastmods.get(task.key);
      if (previous !== undefined && lastmod !== undefined && previous.sitemapLastmod === lastmod) {
        return { unchanged: previous, reason: 'sitemap-lastmod' };
      }
      const headers: Record<string, string> = {};
      if (previous?.etag) headers['if-none-match'] = previous.etag;
      if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
      return { response: await this.get(task, headers) };
    } catch (error) {
      return { error };
    }
  }

  /** The request, tried again after transient failures, 5xx and 429 (waiting as `Retry-After` asks). */
  private async get(task: Task, headers: Record<string, string>): Promise<HttpResponse> {
    const { client, signal, settings } = this.options;
    const { retries, retryBaseMs, maxRetryAfterMs } = settings;
    const shouldFollowRedirect = this.redirectPolicy(task);
    for (let attempt = 0; ; attempt++) {
      const release = await this.hostSlots?.acquire(task.url.origin, signal);
      let response: HttpResponse;
      try {
        await this.hostGate.wait(task.url.origin, signal);
        await this.globalGate.wait('*', signal);
        response = await client.get(task.url, { shouldReadBody, shouldFollowRedirect, headers, raw: isBinary, maxBytes: this.bodyLimit });
      } catch (caught) {
        release?.();
        const error = this.fileTooLarge(caught);
        if (attempt < retries && isTransient(error) && !signal.aborted) {
          this.options.onRetry();
          await sleep(backoffMs(attempt + 1, retryBaseMs), signal);
          continue;
        }
        throw error;
      }
      release?.();
      this.binaryUrls.delete(response.url);
      const { status } = response;
      if (attempt < retries && (status === 429 || status >= 500)) {
        const asked = status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after']) : undefined;
        if (asked === undefined || asked <= maxRetryAfterMs) {
          this.options.onRetry();
          const wait = asked ?? backoffMs(attempt + 1, retryBaseMs);
          // The whole host is told to slow down, not just this page.
          this.hostGate.deferUntil(task.url.origin, Date.now() + wait);
          continue;
        }
      }
      return response;
    }
  }

  /**
   * Follow a redirect only to a page not seen yet (or to another spelling of the page being
   * fetched, e.g. http → https or `dir/index.html` → `dir/`), and only within scope except for
   * the start URL, whose redirects define the scope. The target is marked seen at once, so a
   * page is fetched once even when a link to it and a redirect to it race.
   */
  private redirectPolicy(task: Task): (next: URL) => boolean {
    const { frontier, scope, robots } = this.options;
    const chain = new Set([task.key]);
    return (next) => {
      const key = pageKey(next);
      if (chain.has(key)) return true;
      if (task.depth > 0 && !scope.contains(next)) return false;
      if (frontier.has(key)) return false;
      // A disallowed target is not fetched (when its origin's rules are known; else the start check applies).
      if (robots.loadedFor(next.origin)?.isAllowed(next) === false) return false;
      frontier.claim(key);
      chain.add(key);
      return true;
    };
  }
}
