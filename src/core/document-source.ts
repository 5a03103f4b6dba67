/** Where an ingest's documents come from: a crawl of an http(s) URL, or a file or folder. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { crawl, type CrawlEvent, type CrawlHistory, type CrawlOptions, type CrawlStats } from '../stages/crawl.js';
import { readFiles, type ReadFilesEvent } from '../stages/read-files.js';
import type { SourceDocument } from '../types.js';

/** Whether a source is crawled (an http or https URL) rather than read from disk. */
export function isCrawlSource(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Options of {@link documentSource}. */
export interface DocumentSourceOptions {
  /** Crawl options; their `maxFileBytes` bounds the PDF and Word files of a folder too. */
  crawl?: Omit<CrawlOptions, 'onEvent' | 'signal'>;
  /** Called with the crawl's running statistics after every crawl event. */
  onStats?: (stats: Readonly<CrawlStats>) => void;
  onCrawlEvent?: (event: CrawlEvent) => void;
  /** Hears of every file of a folder source read or skipped (too large, unsupported, unreadable). */
  onFileEvent?: (event: ReadFilesEvent) => void;
  /** The crawl state kept in the store, for resuming and conditional requests. */
  history?: CrawlHistory;
  signal?: AbortSignal;
}

/**
 * The documents of a source: crawled pages for an http(s) URL, else the files of a path or
 * `file://` URL. Throws `ConfigError` for another scheme or a path that does not exist.
 */
export function documentSource(source: string, options: DocumentSourceOptions = {}): AsyncIterable<SourceDocument> {
  if (isCrawlSource(source)) {
    const pages = crawl(source, {
      ...options.crawl,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.history ? { history: options.history } : {}),
      onEvent: (event) => {
        options.onStats?.(pages.stats);
        options.onCrawlEvent?.(event);
      },
    });
    return pages;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source) && !source.startsWith('file://')) {
    throw new ConfigError('source', source, `Cannot ingest "${source}": only http(s) URLs, files and folders are supported.`);
  }
  const path = source.startsWith('file://') ? fileURLToPath(source) : source;
  if (!existsSync(path)) {
    throw new ConfigError('source', source, `Cannot ingest "${source}": it is not an http(s) URL and no such file or folder exists.`);
  }
  const maxFileBytes = options.crawl?.maxFileBytes;
  return readFiles(path, { ...(options.onFileEvent ? { onEvent: options.onFileEvent } : {}), ...(maxFileBytes !== undefined ? { maxFileBytes } : {}) });
}
