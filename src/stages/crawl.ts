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
import { ConfigError, FetchError, describeValue } from '../errors.js';
import { createHttpClient, DEFAULT_USER_AGENT, type HttpResponse, type ResponseHead } from '../net/http-get.js';
import type { SourceDocument } from '../types.js';
import { classifyResponse } from '../crawl/classify-response.js';
import { normalizeUrl, pageKey } from '../crawl/normalize-url.js';
import { readPageLinks } from '../crawl/page-links.js';
import { fetchRobots, type RobotsRules } from '../crawl/robots.js';
import { readSitemaps, type SitemapEntry } from '../crawl/sitemap.js';
import { createScope, createTrapGuard, stripSessionIds } from '../crawl/scope.js';
import { KeyedSemaphore, RateGate } from '../crawl/politeness.js';
import { SKIP_REASONS, type Crawl, type CrawlEvent, type CrawlOptions, type CrawlSkipReason, type CrawlStats, type PreviousPage } from '../crawl/types.js';
import { backoffMs, parseRetryAfter, sleep } from '../net/retry.js';

export type { Crawl, CrawlEvent, CrawlHistory, CrawlOptions, CrawlSkipReason, CrawlStats, PreviousPage } from '../crawl/types.js';
export { normalizeUrl, pageKey } from '../crawl/normalize-url.js';
export { extractLinks, readPageLinks, type PageLinks } from '../crawl/page-links.js';

/** Validate a whole-number option. */
function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(name, value, `${name} must be an integer >= 1, got ${describeValue(value)}.`);
  }
  return value;
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
  const maxPages = positiveInteger('maxPages', options.maxPages, 1000);
  const concurrency = positiveInteger('concurrency', options.concurrency, 8);
  const concurrencyPerHost = positiveInteger('concurrencyPerHost', options.concurrencyPerHost, concurrency);
  const maxDepth = nonNegative('maxDepth', options.maxDepth, Infinity);
  const delayMs = nonNegative('delayMs', options.delayMs, 0);
  const retries = nonNegative('retries', options.retries, 2);
  const retryBaseMs = nonNegative('retryBaseMs', options.retryBaseMs, 1000);
  const maxRetryAfterMs = nonNegative('maxRetryAfterMs', options.maxRetryAfterMs, 120_000);
  const perMinute = options.maxRequestsPerMinute === undefined ? undefined : positiveInteger('maxRequestsPerMinute', options.maxRequestsPerMinute, 1);
  const obeyRobots = booleanOption('robots', options.robots, true);
  const readSitemapFiles = booleanOption('sitemaps', options.sitemaps, true);
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
      head.status >= 200 && head.status < 300 && classifyResponse(head.contentType, head.url, undefined) !== undefined;

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
                    `try again later, or ignore robots.txt (--ignore-robots) if the site is yours.`
                : `${outcome.robots.url} disallows the start URL ${task.url.href} for user agent "${userAgent}"; ` +
                    `set another start URL, or ignore robots.txt (--ignore-robots) if the site is yours.`,
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
        const contentType = classifyResponse(response.contentType, response.url, response.body);
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

/** Validate a whole-number option that may be 0 (or Infinity where the default is). */
function nonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(Number.isInteger(value) || value === Infinity) || value < 0) {
    throw new ConfigError(name, value, `${name} must be an integer >= 0, got ${describeValue(value)}.`);
  }
  return value;
}

function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(name, value, `${name} must be true or false, got ${describeValue(value)}.`);
  return value;
}
