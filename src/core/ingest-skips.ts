/**
 * What an ingest skipped, item by item, and the words a person reads for each reason: "not found
 * (404)", "disallowed by robots.txt", never "status 2". Reasons are open-ended strings (the crawl's,
 * a folder's, and any a format adds); one without words of its own is shown with its dashes as spaces.
 */
import type { IngestSkip } from './ingest-types.js';

export type { IngestSkip };

/** Words of the reasons that are not an HTTP status. */
const REASON_WORDS: Record<string, string> = {
  'content-type': 'not a readable document type',
  duplicate: 'duplicate of a page already crawled',
  'off-site': 'outside scope (redirected)',
  robots: 'disallowed by robots.txt',
  noindex: 'marked noindex',
  trap: 'crawler trap',
  'private-address': 'private address refused',
  scheme: 'unsupported URL scheme',
  timeout: 'timed out',
  'too-large': 'too large',
  redirects: 'too many redirects',
  network: 'network error',
  'unsupported-type': 'unsupported file type',
  unreadable: 'unreadable',
  corrupt: 'corrupt file',
  encrypted: 'encrypted',
  'image-only': 'image only (no text layer; OCR is not built)',
};

/** Names of the HTTP statuses a crawl meets most. */
const STATUS_WORDS: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not found',
  405: 'method not allowed',
  406: 'not acceptable',
  408: 'request timeout',
  410: 'gone',
  429: 'rate-limited',
  451: 'unavailable for legal reasons',
  500: 'server error',
  502: 'bad gateway',
  503: 'service unavailable',
  504: 'gateway timeout',
};

/** A skip's reason in words: `not found (404)`, `server error (500)`, `disallowed by robots.txt`. */
export function skipWords(skip: Pick<IngestSkip, 'reason' | 'status'>): string {
  if (skip.reason === 'status') {
    if (skip.status === undefined) return 'HTTP error';
    const name = STATUS_WORDS[skip.status] ?? (skip.status >= 500 ? 'server error' : skip.status >= 400 ? 'client error' : 'unexpected status');
    return `${name} (${skip.status})`;
  }
  return REASON_WORDS[skip.reason] ?? skip.reason.replace(/-/g, ' ');
}

/**
 * The skips counted by their words, most first (then alphabetically): `1 not found (404), 1 outside scope (redirected)`.
 * Counts without items (`counts` has more than `items` lists) are named by their reason alone.
 */
export function describeSkips(items: readonly IngestSkip[], counts: Readonly<Record<string, number>> = {}): string {
  const byWords = new Map<string, number>();
  const listed = new Map<string, number>();
  for (const item of items) {
    const words = skipWords(item);
    byWords.set(words, (byWords.get(words) ?? 0) + 1);
    listed.set(item.reason, (listed.get(item.reason) ?? 0) + 1);
  }
  for (const [reason, n] of Object.entries(counts)) {
    const rest = n - (listed.get(reason) ?? 0);
    if (rest > 0) {
      const words = skipWords({ reason });
      byWords.set(words, (byWords.get(words) ?? 0) + rest);
    }
  }
  return [...byWords].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([words, n]) => `${n} ${words}`).join(', ');
}
