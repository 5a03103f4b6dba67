/**
 * URL identity for the crawl: the canonical spelling of a URL (`normalizeUrl`) and the key that
 * makes http and https of a page one page (`pageKey`).
 */
import { ConfigError, describeValue } from '../errors.js';

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
 *   and a sorted URL is one no page links to. An empty query (`?`) is dropped;
 * - a user name and password (`https://alice:pw@host/`) are dropped: they are not part of a
 *   page's identity, and a URL that is stored or shown must never carry them.
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
    parsed.username = '';
    parsed.password = '';
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

/**
 * `source` without the user name and password of an http(s) URL, for showing or storing it; any
 * other text (a path) is returned as it is.
 */
export function withoutCredentials(source: string): string {
  if (!/^https?:\/\//i.test(source) || !URL.canParse(source)) return source;
  const url = new URL(source);
  if (url.username === '' && url.password === '') return source;
  url.username = '';
  url.password = '';
  return url.href;
}
