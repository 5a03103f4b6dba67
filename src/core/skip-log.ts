/** The files and documents an ingest did not store, counted by reason and listed (up to a bound). */
import type { ReadFilesEvent } from '../stages/read-files.js';
import type { SourceDocument } from '../types.js';
import type { UnreadableDocumentError } from '../errors.js';
import type { SkippedFile } from './ingest-types.js';

/** Skipped files listed in a summary at most; the counts go on past it. */
export const MAX_LISTED_SKIPS = 1000;

/** Counts by reason and the list of an ingest's skipped files. */
export class SkipLog {
  readonly counts: Record<string, number> = {};
  readonly files: SkippedFile[] = [];

  /** Count and list a skipped file. */
  add(file: SkippedFile): void {
    this.counts[file.reason] = (this.counts[file.reason] ?? 0) + 1;
    this.list(file);
  }

  /** List a skipped file counted elsewhere (by the crawl's statistics). */
  list(file: SkippedFile): void {
    if (this.files.length < MAX_LISTED_SKIPS) this.files.push(file);
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
