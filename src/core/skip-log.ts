/** The URLs, files and documents an ingest did not store, counted by reason and listed (up to a bound). */
import type { CrawlEvent } from '../stages/crawl.js';
import type { ReadFilesEvent } from '../stages/read-files.js';
import type { SourceDocument } from '../types.js';
import type { UnreadableDocumentError } from '../errors.js';
import type { IngestSkip } from './ingest-types.js';

/** Skips listed in a summary at most; the counts go on past it. */
export const MAX_LISTED_SKIPS = 1000;

/** Counts by reason (of what the crawl's statistics do not count) and the list of an ingest's skips. */
export class SkipLog {
  readonly counts: Record<string, number> = {};
  readonly items: IngestSkip[] = [];

  /** Count and list a skip. */
  add(skip: IngestSkip): void {
    this.counts[skip.reason] = (this.counts[skip.reason] ?? 0) + 1;
    this.list(skip);
  }

  /** List a skip counted elsewhere (by the crawl's statistics). */
  list(skip: IngestSkip): void {
    if (this.items.length < MAX_LISTED_SKIPS) this.items.push(skip);
  }

  /** A URL the crawl skipped: listed only, the crawl's statistics count it. */
  addCrawlEvent(event: CrawlEvent): void {
    if (event.type !== 'skip') return;
    this.list({ url: event.url, reason: event.reason, ...(event.status === undefined ? {} : { status: event.status }), message: event.message });
  }

  /** A folder's file the reader skipped (too large, unsupported type, unreadable). */
  addFileEvent(event: ReadFilesEvent): void {
    if (event.type === 'skip') this.add({ url: event.url, path: event.path, reason: event.reason, message: event.message });
  }

  /** A document whose text could not be read (corrupt, encrypted, image-only...). */
  addUnreadable(doc: SourceDocument, error: UnreadableDocumentError): void {
    const path = doc.url.startsWith('file://') ? decodeURIComponent(new URL(doc.url).pathname) : undefined;
    this.add({ url: doc.url, ...(path !== undefined ? { path } : {}), reason: error.reason, message: error.message });
  }
}

/** `a` with `b`'s counts added. */
export function addCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const sum = { ...a };
  for (const [reason, n] of Object.entries(b)) sum[reason] = (sum[reason] ?? 0) + n;
  return sum;
}
