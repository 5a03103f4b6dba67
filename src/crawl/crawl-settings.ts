/**
 * The options of a crawl, validated and with their defaults: everything `crawl` can refuse is
 * refused here, when it is called, not at the first page.
 */
import { ConfigError, FetchError, describeValue } from '../errors.js';
import { DEFAULT_USER_AGENT } from '../net/http-get.js';
import type { CrawlHistory } from '../store/crawl-state-types.js';
import { createScope, createTrapGuard, type Scope, type TrapGuard } from './scope.js';
import type { CrawlEvent, CrawlOptions } from './types.js';

/** The crawl's own options resolved (HTTP options stay in `CrawlOptions`, for the HTTP client). */
export interface CrawlSettings {
  /** The start URL, without its fragment. */
  start: URL;
  maxPages: number;
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
  const maxPages = positiveInteger('maxPages', options.maxPages, 1000);
  const concurrency = positiveInteger('concurrency', options.concurrency, 8);
  const settings = {
    start,
    maxPages,
    concurrency,
    concurrencyPerHost: positiveInteger('concurrencyPerHost', options.concurrencyPerHost, concurrency),
    maxDepth: nonNegative('maxDepth', options.maxDepth, Infinity),
    delayMs: nonNegative('delayMs', options.delayMs, 0),
    retries: nonNegative('retries', options.retries, 2),
    retryBaseMs: nonNegative('retryBaseMs', options.retryBaseMs, 1000),
    maxRetryAfterMs: nonNegative('maxRetryAfterMs', options.maxRetryAfterMs, 120_000),
    maxRequestsPerMinute:
      options.maxRequestsPerMinute === undefined ? undefined : positiveInteger('maxRequestsPerMinute', options.maxRequestsPerMinute, 1),
    robots: booleanOption('robots', options.robots, true),
    sitemaps: booleanOption('sitemaps', options.sitemaps, true),
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

/** Validate a whole-number option. */
function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError(name, value, `${name} must be an integer >= 1, got ${describeValue(value)}.`);
  }
  return value;
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
