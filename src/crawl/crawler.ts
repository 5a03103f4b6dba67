/**
 * One crawl: breadth-first over one site, yielding every reachable page once.
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
 * - Statistics live on the crawler (`stats`, updated as the crawl goes) and are the return value
 *   of `run`; `onEvent` reports each page and each skip as it happens.
 */
import { FetchError } from '../errors.js';
import { createHttpClient, decodeText, type HttpClient, type HttpGetOptions, type HttpResponse } from '../net/http-get.js';
import type { PreviousPage } from '../store/crawl-state-types.js';
import type { SourceDocument } from '../types.js';
import { classifyResponse, readsBytes, type DocumentType } from './classify-response.js';
import type { CrawlSettings } from './crawl-settings.js';
import { PageFetcher, type Outcome } from './fetch-page.js';
import { Frontier, type Candidate, type Task } from './frontier.js';
import { normalizeUrl, pageKey } from './normalize-url.js';
import { readPageLinks, readRobotsDirectives } from './page-links.js';
import { withCredentials } from './origin-credentials.js';
import { RobotsCache } from './robots-cache.js';
import type { RobotsRules } from './robots.js';
import { stripSessionIds } from './scope.js';
import { discoverSitemapPages, sitemapPageUrls } from './sitemap-pages.js';
import type { SitemapEntry } from './sitemap.js';
import { SKIP_REASONS, type CrawlEvent, type CrawlSkipReason, type CrawlStats } from './types.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** What a skip event carries besides its reason and message. */
/** A response's document: its type and its body, bytes for a binary format (PDF, Word), text otherwise. */
interface ResponseDocument {
  contentType: DocumentType;
  body: string | Uint8Array;
}

/**
 * The document a 2xx response is, or undefined when it is none. A body read as bytes (binary
 * types, untyped bodies) is classified by its first bytes, then decoded if it is text.
 */
function documentOf(response: HttpResponse): ResponseDocument | undefined {
  const { raw } = response;
  const contentType = classifyResponse(response.contentType, response.url, raw ?? response.body);
  if (contentType === undefined) return undefined;
  if (raw === undefined) return { contentType, body: response.body };
  return readsBytes(contentType) ? { contentType, body: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) } : { contentType, body: decodeText(raw, response.contentType) };
}

type SkipDetails = { status?: number; contentType?: string; error?: Error };

/**
 * The state of one crawl. `run` may be called once; `stats` can be read at any time.
 */
export class Crawler {
  /** Counters of this crawl, updated as it runs; final once `run` ends. */
  readonly stats: CrawlStats = {
    pages: 0,
    unchanged: 0,
    fetched: 0,
    retries: 0,
    sitemapPages: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Record<CrawlSkipReason, number>,
    complete: false,
  };
  // Aborted when the consumer stops: cancels the requests still in flight.
  private readonly stopped = new AbortController();
  private readonly userSignal: AbortSignal | undefined;
  private readonly signal: AbortSignal;
  private readonly client: HttpClient;
  private readonly robots: RobotsCache;
  private readonly frontier: Frontier;
  private readonly fetcher: PageFetcher;
  /** Requests in dispatch order, each settling with its outcome. */
  private readonly inFlight: Array<{ task: Task; outcome: Promise<Outcome> }> = [];
  /** Sitemap `lastmod` by page key. */
  private readonly lastmods = new Map<string, string>();
  private readonly startKey: string;
  private sitemapPages: Promise<{ entries: SitemapEntry[] } | { error: unknown }> = Promise.resolve({ entries: [] });
  private sitemapsQueued = false;

  /** `httpOptions` are checked now (a `ConfigError` at call time, not at the first page). */
  constructor(
    private readonly settings: CrawlSettings,
    httpOptions: HttpGetOptions,
  ) {
    this.userSignal = httpOptions.signal;
    this.signal = this.userSignal === undefined ? this.stopped.signal : AbortSignal.any([this.userSignal, this.stopped.signal]);
    this.client = withCredentials(createHttpClient({ ...httpOptions, signal: this.signal }), settings.credentials);
    const { client, signal } = this;
    const { userAgent, retries, retryBaseMs, history, scope, traps, maxDepth } = settings;
    const onRetry = (): void => {
      this.stats.retries += 1;
    };
    this.robots = new RobotsCache({
      client,
      userAgent,
      obey: settings.robots,
      retries,
      retryBaseMs,
      signal,
      onRetry,
      onWarning: this.warn,
    });
    this.frontier = new Frontier({ scope, traps, maxDepth, finished: history.finished });
    this.fetcher = new PageFetcher({ client, robots: this.robots, frontier: this.frontier, scope, history, lastmods: this.lastmods, settings, signal, onRetry });
    this.startKey = pageKey(stripSessionIds(settings.start));
  }

  /** The documents, in breadth-first (dispatch) order; returns the final `stats`. */
  async *run(): AsyncGenerator<SourceDocument, CrawlStats, undefined> {
    this.sitemapPages = this.discoverSitemaps();
    await this.seed();
    let truncated = false;
    try {
      for (;;) {
        this.dispatch();
        const next = this.inFlight.shift();
        if (next === undefined) {
          if (!this.sitemapsQueued) {
            await this.queueSitemapPages();
            continue;
          }
          break;
        }
        const outcome = await next.outcome;
        this.userSignal?.throwIfAborted();
        const document = await this.settle(next.task, outcome);
        if (document !== undefined) {
          // Keep the pipeline full while the consumer works on this document.
          this.dispatch();
          yield document;
        }
        if (this.stats.pages + this.stats.unchanged >= this.settings.maxPages) {
          truncated = this.frontier.waiting || this.inFlight.length > 0;
          break;
        }
      }
      this.stats.complete = !truncated;
    } finally {
      // Runs on completion, on error and when the consumer breaks out of its loop.
      this.stopped.abort();
      this.client.close();
    }
    return this.stats;
  }

  /** Start reading the site's sitemaps: their pages are queued later, by `queueSitemapPages`. */
  private discoverSitemaps(): Promise<{ entries: SitemapEntry[] } | { error: unknown }> {
    if (!this.settings.sitemaps) return Promise.resolve({ entries: [] });
    const { start, scope, maxPages } = this.settings;
    const { robots, client, signal, warn: onWarning } = this;
    return discoverSitemapPages({ start, scope, robots, client, maxPages, signal, onWarning }).then(
      (entries) => ({ entries }),
      (error: unknown) => ({ error }),
    );
  }

  /** Queue the start URL; resuming, the interrupted run's frontier first, in its order. */
  private async seed(): Promise<void> {
    const { history, start } = this.settings;
    if (history.queued !== undefined && history.queued.length > 0) {
      this.enqueue(history.queued.flatMap((page) => (URL.canParse(page.url) ? [{ url: new URL(page.url), depth: page.depth }] : [])));
      if (history.finished?.has(this.startKey)) await this.queueSitemapPages();
    }
    if (!history.finished?.has(this.startKey)) this.enqueue([{ url: start, depth: 0 }]);
    else await this.queueSitemapPages();
  }

  /** Start requests until `concurrency` are outstanding or nothing more could be yielded. */
  private dispatch(): void {
    const { concurrency, maxPages } = this.settings;
    while (this.inFlight.length < concurrency && this.stats.pages + this.stats.unchanged + this.inFlight.length < maxPages) {
      const task = this.frontier.next();
      if (task === undefined) return;
      this.inFlight.push({ task, outcome: this.fetcher.fetch(task) });
    }
  }

  /** Queue pages (deduplicated, trap-checked) and report what was queued. */
  private enqueue(candidates: Iterable<Candidate>, parent?: Task): void {
    const queued = this.frontier.add(candidates, (task, trap) => {
      const from = parent ? ` (linked from ${parent.url.href})` : '';
      this.skip(task, task.url.href, 'trap', `Not following ${task.url.href}${from}: ${trap}.`);
    });
    if (queued.length > 0) this.emit({ type: 'queued', pages: queued.map(({ key, url, depth }) => ({ key, url: url.href, depth })) });
  }

  /** Queue the sitemap pages, once: after the start page's links, or when nothing else is left. */
  private async queueSitemapPages(): Promise<void> {
    if (this.sitemapsQueued) return;
    this.sitemapsQueued = true;
    const loaded = await this.sitemapPages;
    if ('error' in loaded) throw loaded.error;
    const pages = sitemapPageUrls(loaded.entries, this.settings.start, this.settings.scope);
    for (const page of pages) if (page.lastmod !== undefined) this.lastmods.set(pageKey(page.url), page.lastmod);
    this.stats.sitemapPages = pages.length;
    this.enqueue(this.frontier.followable(pages.map((page) => page.url), 1));
  }

  /** Account for a settled request: the document to yield, if any. Failures of the start URL throw. */
  private async settle(task: Task, outcome: Outcome): Promise<SourceDocument | undefined> {
    if ('robots' in outcome) {
      if (task.key === this.startKey) throw startDisallowed(task, outcome.robots, this.settings.userAgent);
      this.skip(task, task.url.href, 'robots', `${task.url.href} is disallowed by ${outcome.robots.url}.`);
      return undefined;
    }
    if ('unchanged' in outcome) {
      await this.unchanged(task, outcome.unchanged, outcome.reason);
      return undefined;
    }
    this.stats.fetched += 1;
    if ('error' in outcome) {
      const { error } = outcome;
      // The start URL failing means there is nothing to crawl: say so at once.
      if (task.key === this.startKey || !(error instanceof FetchError)) throw error;
      this.skip(task, task.url.href, skipReasonOf(error), error.message, {
        error,
        ...(error.status === undefined ? {} : { status: error.status }),
      });
      return undefined;
    }
    return this.settleResponse(task, outcome.response);
  }

  /** A response: unchanged (304), a redirect not followed, an error status, not a document, or a document. */
  private async settleResponse(task: Task, response: HttpResponse): Promise<SourceDocument | undefined> {
    const final = new URL(response.url);
    const url = normalizeUrl(final);
    const details = { status: response.status, contentType: response.contentType };
    const { scope, history } = this.settings;
    // The start URL's final host is in scope: `example.com` → `www.example.com`.
    if (task.key === this.startKey) scope.addHost(final);
    const previous = history.previous?.(task.key);
    if (response.status === 304 && previous !== undefined) {
      await this.unchanged(task, previous, 'not-modified');
      return undefined;
    }
    const location = response.headers.location;
    if (REDIRECT_STATUSES.has(response.status) && location !== undefined) {
      // A redirect the fetcher declined to follow.
      const target = URL.canParse(location, final.href) ? new URL(location, final) : final;
      if (scope.contains(target)) {
        this.skip(task, url, 'duplicate', `${url} redirects to ${normalizeUrl(target)}, already crawled.`, details);
      } else {
        this.skip(task, url, 'off-site', `${url} redirects off-site to ${normalizeUrl(target)}.`, details);
      }
      return undefined;
    }
    if (response.status < 200 || response.status > 299) {
      if (task.key === this.startKey) throw startStatus(task, response.status);
      this.skip(task, url, 'status', `${url} answered HTTP ${response.status}.`, details);
      return undefined;
    }
    const doc = documentOf(response);
    if (doc === undefined) {
      this.skip(task, url, 'content-type', `${url} is ${response.contentType || 'untyped'}, not a document.`, details);
      return undefined;
    }
    return this.accept(task, response, doc);
  }

  /**
   * A document: its links are followed (unless nofollow); it is yielded unless it asks not to be
   * indexed or names as canonical a page already crawled.
   */
  private async accept(task: Task, response: HttpResponse, doc: ResponseDocument): Promise<SourceDocument | undefined> {
    const { contentType, body } = doc;
    const final = new URL(response.url);
    const url = normalizeUrl(final);
    let { noindex, nofollow } = readRobotsDirectives(String(response.headers['x-robots-tag'] ?? ''));
    let links: URL[] = [];
    let canonical: { documentUrl?: string; duplicateOf?: string } = {};
    if (contentType === 'text/html' && typeof body === 'string') {
      const page = readPageLinks(body, final);
      noindex ||= page.noindex;
      nofollow ||= page.nofollow;
      links = page.links;
      canonical = this.claimCanonical(page.canonical, final, task);
    }
    const details = { status: response.status, contentType: response.contentType };
    // The start page is kept whatever it repeats: it is what the user asked for.
    // Repeated content is a trap of generated pages; a binary document is not compared.
    const trap = task.key === this.startKey || typeof body !== 'string' ? undefined : this.settings.traps.notePage(final, body);
    if (trap !== undefined) {
      this.skip(task, url, 'trap', `Not keeping ${url} nor following its links: ${trap}.`, details);
      return undefined;
    }
    const followed = nofollow ? [] : this.frontier.followable(links, task.depth + 1);
    this.enqueue(followed, task);
    if (task.key === this.startKey) await this.queueSitemapPages();
    if (noindex) {
      this.skip(task, url, 'noindex', `${url} asks not to be indexed (robots noindex); its links are followed.`, details);
      return undefined;
    }
    if (canonical.duplicateOf !== undefined) {
      this.skip(task, url, 'duplicate', `${url} names ${canonical.duplicateOf} as its canonical URL, already crawled.`, details);
      return undefined;
    }
    const documentUrl = canonical.documentUrl ?? url;
    this.stats.pages += 1;
    const etag = headerValue(response.headers.etag);
    const lastModified = headerValue(response.headers['last-modified']);
    this.emit({
      type: 'page',
      url: documentUrl,
      key: task.key,
      status: response.status,
      contentType,
      depth: task.depth,
      bytes: response.bytes,
      ...(etag ? { etag } : {}),
      ...(lastModified ? { lastModified } : {}),
      ...this.lastmodOf(task),
      links: followed.map((link) => link.url.href),
    });
    return { url: documentUrl, contentType, body, fetchedAt: new Date(), status: response.status, depth: task.depth };
  }

  /**
   * A canonical URL in scope names the page: the page is stored under it (claimed at once), or is
   * a duplicate when that page was crawled already. Out of scope (a mirror's), it is ignored.
   */
  private claimCanonical(canonical: URL | undefined, final: URL, task: Task): { documentUrl?: string; duplicateOf?: string } {
    if (canonical === undefined || !this.settings.scope.contains(canonical)) return {};
    const key = pageKey(canonical);
    if (key === pageKey(final) || key === task.key) return {};
    if (this.frontier.has(key)) return { duplicateOf: normalizeUrl(canonical) };
    this.frontier.claim(key);
    return { documentUrl: normalizeUrl(canonical) };
  }

  /** A page known unchanged: counted and reported, and its stored links followed. */
  private async unchanged(task: Task, previous: PreviousPage, reason: 'not-modified' | 'sitemap-lastmod'): Promise<void> {
    this.stats.unchanged += 1;
    this.emit({ type: 'unchanged', url: previous.url, key: task.key, depth: task.depth, reason, previous, ...this.lastmodOf(task) });
    this.enqueue(this.frontier.followable(previous.links, task.depth + 1), task);
    if (task.key === this.startKey) await this.queueSitemapPages();
  }

  private skip(task: Task, url: string, reason: CrawlSkipReason, message: string, details: SkipDetails = {}): void {
    this.stats.skipped[reason] += 1;
    this.emit({ type: 'skip', url, key: task.key, reason, depth: task.depth, message, ...details });
  }

  private emit(event: CrawlEvent): void {
    this.settings.onEvent?.(event);
  }

  /** A robots.txt or sitemap could not be read. */
  private readonly warn = (url: string, message: string): void => this.emit({ type: 'warning', url, message });

  private lastmodOf(task: Task): { sitemapLastmod?: string } {
    const lastmod = this.lastmods.get(task.key);
    return lastmod === undefined ? {} : { sitemapLastmod: lastmod };
  }
}

/** The skip reason of a page whose fetch failed. */
function skipReasonOf(error: FetchError): CrawlSkipReason {
  return (SKIP_REASONS as readonly string[]).includes(error.reason) ? (error.reason as CrawlSkipReason) : 'network';
}

/** A single header value. */
const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

function startDisallowed(task: Task, robots: RobotsRules, userAgent: string): FetchError {
  return new FetchError(
    task.url.href,
    'robots',
    robots.source === 'unreachable'
      ? `${robots.url} could not be read (a 5xx or no answer), which means "crawl nothing" (RFC 9309); ` +
          `try again later, or ignore robots.txt (\`robots: false\`) if the site is yours.`
      : `${robots.url} disallows the start URL ${task.url.href} for user agent "${userAgent}"; ` +
          `set another start URL, or ignore robots.txt (\`robots: false\`) if the site is yours.`,
  );
}

function startStatus(task: Task, status: number): FetchError {
  return new FetchError(task.url.href, 'status', `The start URL ${task.url.href} answered HTTP ${status}; check the address.`, {
    status,
  });
}
