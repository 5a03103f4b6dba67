/**
 * Which URLs a crawl may visit: the scope (host, domain or URL prefix), include/exclude patterns,
 * and the bounds that keep crawler traps (endless calendars, session ids, ever-growing query
 * strings, repeating path segments) from eating the page budget.
 */
import { ConfigError, describeValue } from '../errors.js';
import { checkInteger, checkOneOf } from '../options/check.js';
import { CRAWL_DEFAULTS } from '../options/defaults.js';
import { SameContentQueries } from './same-content-queries.js';

/** How far from the start URL a crawl may go. */
export type CrawlScope =
  /** The start URL's host (and port), any scheme; plus the host it redirects to. */
  | 'host'
  /** The start host and its subdomains, with a leading `www.` ignored (`www.x.org` → `*.x.org`). */
  | 'domain'
  /** URLs under the start URL's folder (`https://x.org/docs/v2/intro` → `https://x.org/docs/v2/`). */
  | 'prefix';

export const CRAWL_SCOPES: readonly CrawlScope[] = ['host', 'domain', 'prefix'];

/** Query parameters that carry session ids: dropped from URLs, so one page is not crawled once per session. */
export const SESSION_PARAMETERS = new Set(['jsessionid', 'phpsessid', 'sid', 'sessionid', 'session_id', 'aspsessionid', 'cfid', 'cftoken', 'zenid', 'oscsid', 'ps_session']);

/** Remove session ids from a URL: `;jsessionid=...` path parameters and session query parameters. */
export function stripSessionIds(url: URL): URL {
  const out = new URL(url.href);
  out.pathname = out.pathname.replace(/;(jsessionid|phpsessid|sid|sessionid)=[^/?#]*/gi, '');
  if (out.search !== '') {
    const params = new URLSearchParams(out.search);
    let changed = false;
    for (const name of [...params.keys()]) {
      if (SESSION_PARAMETERS.has(name.toLowerCase())) {
        params.delete(name);
        changed = true;
      }
    }
    if (changed) out.search = params.toString();
  }
  return out;
}

/**
 * A URL pattern: `re:` followed by a regular expression (`re:^https://x\.org/v\d/`), tested
 * against the whole URL (a `RegExp` works the same); anything else is a glob where `*` matches any run of characters (slashes included) and `?` one
 * character, matched against the whole URL when it has a scheme (`https://x.org/blog/*`), else
 * against path and query (`/blog/*`, `*.pdf`).
 */
export function compilePattern(pattern: string | RegExp, option = 'pattern'): (url: URL) => boolean {
  if (pattern instanceof RegExp) {
    const copy = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    return (url) => copy.test(url.href);
  }
  if (typeof pattern !== 'string' || pattern === '' || pattern === 're:') {
    throw new ConfigError(option, pattern, `Expected \`${option}\` entries to be non-empty globs or re:regexes, got ${describeValue(pattern)}.`);
  }
  if (pattern.startsWith('re:')) {
    let compiled: RegExp;
    try {
      compiled = new RegExp(pattern.slice(3));
    } catch (error) {
      throw new ConfigError(option, pattern, `\`${option}\` entry ${describeValue(pattern)} is not a valid regular expression: ${(error as Error).message}`, { cause: error });
    }
    return (url) => compiled.test(url.href);
  }
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const glob = new RegExp(`^${source}$`);
  const whole = /^[a-z][a-z0-9+.-]*:\/\//i.test(pattern);
  return (url) => glob.test(whole ? url.href : url.pathname + url.search);
}

/** Options of {@link createScope}. */
export interface ScopeOptions {
  /** @default 'host' */
  scope?: CrawlScope;
  /**
   * Only links matching one of these are followed (the start URL always is): globs such as
   * `/docs/*` or `re:` regexes (see `compilePattern`).
   * @default [] (all)
   */
  include?: ReadonlyArray<string | RegExp>;
  /** Links matching one of these are never followed (globs or `re:` regexes). @default [] */
  exclude?: ReadonlyArray<string | RegExp>;
}

/** The scope test of a crawl. */
export interface Scope {
  /** Whether a URL is inside the crawl's scope (host/domain/prefix only, not patterns). */
  contains(url: URL): boolean;
  /** Whether a link may be crawled: in scope and passing include/exclude. */
  admits(url: URL): boolean;
  /** Widen a host scope with the host the start URL redirected to. */
  addHost(url: URL): void;
}

export function createScope(start: URL, options: ScopeOptions = {}): Scope {
  const kind = checkOneOf('scope', options.scope ?? CRAWL_DEFAULTS.scope, CRAWL_SCOPES);
  const list = (name: string, value: unknown): Array<(url: URL) => boolean> => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw new ConfigError(name, value, `Expected \`${name}\` to be an array of globs or re:regexes, got ${describeValue(value)}.`);
    return value.map((pattern: unknown) => compilePattern(pattern as string | RegExp, name));
  };
  const include = list('include', options.include);
  const exclude = list('exclude', options.exclude);
  const hosts = new Set([start.host]);
  const domains = new Set([start.hostname.replace(/^www\./, '')]);
  const prefixes = new Set([start.host + start.pathname.slice(0, start.pathname.lastIndexOf('/') + 1)]);
  const contains = (url: URL): boolean => {
    switch (kind) {
      case 'host':
        return hosts.has(url.host);
      case 'domain':
        return [...domains].some((domain) => url.hostname === domain || url.hostname.endsWith(`.${domain}`));
      case 'prefix': {
        const key = url.host + url.pathname;
        return [...prefixes].some((prefix) => key.startsWith(prefix));
      }
    }
  };
  return {
    contains,
    admits: (url) => contains(url) && (include.length === 0 || include.some((test) => test(url))) && !exclude.some((test) => test(url)),
    addHost(url) {
      hosts.add(url.host);
      domains.add(url.hostname.replace(/^www\./, ''));
      prefixes.add(url.host + url.pathname.slice(0, url.pathname.lastIndexOf('/') + 1));
    },
  };
}

/** Options of {@link createTrapGuard}. */
export interface TrapOptions {
  /** Longest URL followed, in characters. @default 2048 */
  maxUrlLength?: number;
  /** Most query parameters in a followed URL. @default 12 */
  maxQueryParameters?: number;
  /** Most times one path segment may repeat in a URL (`/a/b/a/b/a/b/...`). @default 3 */
  maxRepeatedSegments?: number;
  /**
   * Most URLs followed per shape: the path with digit runs as `#` plus the sorted query
   * parameter names (`/cal/#/#/?`, `/list?page`). A backstop for huge generated spaces.
   * @default 10000
   */
  maxUrlsPerShape?: number;
  /**
   * Most link hops a shape may reach beyond the first page of that shape: an endless calendar or
   * a "next" chain links each page from the previous one, so its depth keeps growing, while the
   * numbered pages of a real site hang off a few indexes at similar depths.
   * @default 30
   */
  maxShapeChain?: number;
  /**
   * Most pages of one path and query parameter names (`/list?q`) that may have the same content
   * (text without tags, and without their own query values). Past it, such pages are not kept
   * and, when they are most of that path's pages, its new query strings are not followed: a
   * page that links to ever new random query strings of itself would otherwise use the whole
   * `maxPages` budget.
   * @default 3
   */
  maxSameContentQueries?: number;
}

/** Counts URL shapes and says which URLs look like a trap. */
export interface TrapGuard {
  /** A one-line reason when `url` (found `depth` hops from the start) looks like a crawler trap; counts the URL's shape otherwise. */
  check(url: URL, depth?: number): string | undefined;
  /** Record a fetched page (`url` its final URL): a one-line reason when its content shows it is a trap's. */
  notePage(url: URL, body: string): string | undefined;
}

export function createTrapGuard(options: TrapOptions = {}): TrapGuard {
  const number = (name: keyof TrapOptions, fallback: number): number => checkInteger(name, options[name] ?? fallback, { min: 1 });
  const maxUrlLength = number('maxUrlLength', 2048);
  const maxQueryParameters = number('maxQueryParameters', 12);
  const maxRepeatedSegments = number('maxRepeatedSegments', 3);
  const maxUrlsPerShape = number('maxUrlsPerShape', 10_000);
  const maxShapeChain = number('maxShapeChain', 30);
  const sameContent = new SameContentQueries(number('maxSameContentQueries', 3));
  const shapes = new Map<string, number>();
  const shallowest = new Map<string, number>();
  return {
    check(url, depth = 0) {
      if (url.href.length > maxUrlLength) return `its URL is longer than ${maxUrlLength} characters`;
      const params = [...new URLSearchParams(url.search).keys()];
      if (params.length > maxQueryParameters) return `it has more than ${maxQueryParameters} query parameters`;
      const counts = new Map<string, number>();
      for (const segment of url.pathname.split('/')) {
        if (segment === '') continue;
        const n = (counts.get(segment) ?? 0) + 1;
        if (n > maxRepeatedSegments) return `path segment "${segment}" repeats more than ${maxRepeatedSegments} times`;
        counts.set(segment, n);
      }
      const repeating = sameContent.check(url);
      if (repeating !== undefined) return repeating;
      const shape = `${url.host}${url.pathname.replace(/\d+/g, '#')}?${[...new Set(params)].sort().join('&')}`;
      const seen = (shapes.get(shape) ?? 0) + 1;
      if (seen > maxUrlsPerShape) return `more than ${maxUrlsPerShape} URLs share its shape ${shape}`;
      const first = shallowest.get(shape) ?? depth;
      if (depth - first > maxShapeChain) return `it is ${depth - first} links down a chain of pages shaped ${shape}`;
      shapes.set(shape, seen);
      shallowest.set(shape, Math.min(first, depth));
      return undefined;
    },
    notePage: (url, body) => sameContent.note(url, body),
  };
}
