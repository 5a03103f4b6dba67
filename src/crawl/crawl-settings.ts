/**
 * The options of a crawl, validated and with their defaults: everything `crawl` can refuse is
 * refused here, when it is called, not at the first page.
 */
import { ConfigError, FetchError, describeValue } from '../errors.js';
import { DEFAULT_USER_AGENT } from '../net/http-get.js';
import { checkBoolean, checkInteger, checkTimerMs } from '../options/check.js';
import { CRAWL_DEFAULTS } from '../options/defaults.js';
import type { CrawlHistory } from '../store/crawl-state-types.js';
import { OriginCredentials } from './origin-credentials.js';
import { createScope, createTrapGuard, type Scope, type TrapGuard } from './scope.js';
import type { CrawlEvent, CrawlOptions } from './types.js';

/** The crawl's own options resolved (HTTP options stay in `CrawlOptions`, for the HTTP client). */
export interface CrawlSettings {
  /** The start URL, without its fragment and without credentials. */
  start: URL;
  /** The user name and password the start URL carried, for its origin only (kept in memory). */
  credentials: OriginCredentials | undefined;
  maxPages: number;
  /** Body limit of PDF and Word downloads. */
  maxFileBytes: number;
  maxDepth: number;
  concurrency: number;
  concurrencyPerHost: number;
  delayMs: number;
  /** Undefined: no limit. */
  maxRequestsPerMinute: number | undefined;
  retries: number;
  retryBaseMs: number;
  maxRetryAfterMs: number;
  robots: boolean;
  sitemaps: boolean;
  history: CrawlHistory;
  userAgent: string;
  scope: Scope;
  traps: TrapGuard;
  onEvent: ((event: CrawlEvent) => void) | undefined;
}

/**
 * Validate `crawl`'s arguments.
 * @throws ConfigError for a malformed start URL or option; FetchError (`scheme`) for a start URL
 *   that is not http(s)
 */
export function resolveCrawlOptions(startUrl: string | URL, options: CrawlOptions): CrawlSettings {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('options', options, `Options must be an object, got ${describeValue(options)}.`);
  }
  const start = parseStartUrl(startUrl);
  const credentials = OriginCredentials.takeFrom(start);
  if (credentials !== undefined && Object.keys(options.headers ?? {}).some((name) => name.toLowerCase() === 'authorization')) {
    throw new ConfigError(
      'headers',
      '(redacted)',
      `The start URL ${start.href} carries a user name and password and \`headers\` sets authorization too; keep one of them.`,
    );
  }
  const concurrency = checkInteger('concurrency', options.concurrency ?? CRAWL_DEFAULTS.concurrency, { min: 1 });
  const settings = {
    start,
    credentials,
    maxPages: checkInteger('maxPages', options.maxPages ?? CRAWL_DEFAULTS.maxPages, { min: 1 }),
    maxFileBytes: checkInteger('maxFileBytes', options.maxFileBytes ?? CRAWL_DEFAULTS.maxFileBytes, { min: 1 }),
    concurrency,
    concurrencyPerHost: checkInteger('concurrencyPerHost', options.concurrencyPerHost ?? concurrency, { min: 1 }),
    maxDepth: countOrInfinity('maxDepth', options.maxDepth ?? CRAWL_DEFAULTS.maxDepth),
    // Waits go to timers, which hold at most MAX_TIMER_MS: a longer one would fire at once.
    delayMs: checkTimerMs('delayMs', options.delayMs ?? CRAWL_DEFAULTS.delayMs),
    retries: countOrInfinity('retries', options.retries ?? CRAWL_DEFAULTS.retries),
    retryBaseMs: checkTimerMs('retryBaseMs', options.retryBaseMs ?? CRAWL_DEFAULTS.retryBaseMs),
    maxRetryAfterMs: checkTimerMs('maxRetryAfterMs', options.maxRetryAfterMs ?? CRAWL_DEFAULTS.maxRetryAfterMs),
    maxRequestsPerMinute:
      options.maxRequestsPerMinute === undefined ? undefined : checkInteger('maxRequestsPerMinute', options.maxRequestsPerMinute, { min: 1 }),
    robots: checkBoolean('robots', options.robots ?? true),
    sitemaps: checkBoolean('sitemaps', options.sitemaps ?? true),
  };
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new ConfigError('onEvent', options.onEvent, `onEvent must be a function, got ${describeValue(options.onEvent)}.`);
  }
  return {
    ...settings,
    history: options.history ?? {},
    userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
    scope: createScope(start, options),
    traps: createTrapGuard(options),
    onEvent: options.onEvent,
  };
}

/** The start URL without its fragment; only http(s) URLs can be crawled. */
function parseStartUrl(startUrl: string | URL): URL {
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
  return start;
}

/** A whole number of hops or retries, from 0 up; `Infinity` means no bound. */
function countOrInfinity(name: string, value: unknown): number {
  return value === Infinity ? value : checkInteger(name, value, { min: 0 });
}
