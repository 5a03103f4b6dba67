/**
 * Ingest: a website or a folder into a collection.
 *
 *   crawl | readFiles ─▶ extract ─▶ skipUnchanged ─▶ chunk ─▶ addMetadata ─▶ embed ─▶ store
 *
 * The crawl's frontier and page state live in the store, so an interrupted crawl resumes and a
 * re-crawl touches only what changed.
 */
import { withoutCredentials } from '../crawl/normalize-url.js';
import { normalizeUrl, type CrawlStats } from '../stages/crawl.js';
import { openCrawlState, type CrawlState } from '../store/crawl-state.js';
import { estimateIngest } from '../embed/estimate.js';
import { CRAWL_DEFAULTS, DEFAULT_COLLECTION } from '../options/defaults.js';
import type { Collection } from '../store/collections.js';
import { documentSource, isCrawlSource, type DocumentSourceOptions } from './document-source.js';
import { checkIngestOptions, countSkipped, finishRun, openIngestCollection, runStages, skippedCounts, startRun, type IngestRun } from './ingest-run.js';
import type { IngestOptions, IngestSummary } from './ingest-types.js';
import { SkipLog, addCounts } from './skip-log.js';

export type { IngestBaseOptions, IngestOptions, IngestProgress, IngestSkip, IngestSummary } from './ingest-types.js';
export { describeSkips, skipWords } from './ingest-skips.js';

/**
 * Ingest a website or a folder into a collection: crawl or read, extract the main content, skip
 * what is unchanged since the last run, chunk, embed (reusing stored vectors for unchanged text)
 * and store, each page replacing its previous version atomically.
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  checkIngestOptions(options);
  if (options.dryRun) return dryRunIngest(options, started);
  return openIngestCollection(options, (collection) => crawlOrReadInto(options, collection, started));
}

/** `ingest` with `dryRun`: the estimate in the shape of a summary. */
async function dryRunIngest(options: IngestOptions, started: number): Promise<IngestSummary> {
  let crawlStats: Readonly<CrawlStats> | undefined;
  const skips = new SkipLog();
  const name = options.collection ?? DEFAULT_COLLECTION;
  const { tokens: _tokens, ...estimate } = await estimateIngest({
    pool: options.db.pool,
    collection: name,
    documents: documentSource(options.source, { ...sourceOptions(options, (s) => (crawlStats = s), skips), onCrawlEvent: (e) => skips.addCrawlEvent(e) }),
    onUnreadable: (doc, error) => skips.addUnreadable(doc, error),
    embedding: options.embedding,
    ...(options.chunk ? { chunk: options.chunk } : {}),
    ...(options.metadata ? { metadata: options.metadata } : {}),
    ...(options.force ? { force: true } : {}),
  });
  return {
    collection: name,
    source: withoutCredentials(options.source),
    skipped: addCounts(skippedCounts(crawlStats), skips.counts),
    skippedItems: skips.items,
    ...(options.force ? { force: true } : {}),
    removed: 0,
    resumed: false,
    ...estimate,
    dryRun: true,
    ms: Math.round(performance.now() - started),
  };
}

/** What the document source is given; the files a folder source skips go into `skips`. */
function sourceOptions(options: IngestOptions, onStats: (stats: Readonly<CrawlStats>) => void, skips: SkipLog): DocumentSourceOptions {
  return {
    ...(options.crawl ? { crawl: options.crawl } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onStats,
    onFileEvent: (event) => skips.addFileEvent(event),
  };
}

/**
 * The ingest proper, into an existing collection. A crawl keeps its state in the store when
 * incremental: the run stays open if it fails, so the next ingest of this collection and start
 * URL resumes it.
 */
async function crawlOrReadInto(options: IngestOptions, collection: Collection, started: number): Promise<IngestSummary> {
  const isCrawl = isCrawlSource(options.source);
  // A start URL's user name and password are for the crawl only: the summary shows the URL without them.
  const run = startRun(options, collection, withoutCredentials(options.source), isCrawl ? (options.crawl?.maxPages ?? CRAWL_DEFAULTS.maxPages) : undefined);
  let crawlState: CrawlState | undefined;
  if (isCrawl && options.incremental !== false) {
    crawlState = await openCrawlState({ pool: options.db.pool, collectionId: collection.id, startUrl: normalizeUrl(options.source), chunking: run.chunking });
    run.summary.resumed = crawlState.resumed;
  }
  if (options.force) run.summary.force = true;
  try {
    await runStages(run, crawlDocuments(run, options, crawlState), { onSettled: (url, hash) => crawlState?.settled(url, hash) });
  } catch (err) {
    await crawlState?.flush().catch(() => undefined);
    throw err;
  }
  run.summary.skipped = skippedCounts(run.crawlStats); // what else was skipped is added by finishRun
  if (crawlState) {
    // Only a crawl that reached every page may conclude that the pages it did not reach are gone.
    await crawlState.finish(run.crawlStats?.complete === true);
    run.summary.removed = crawlState.removed.length;
  }
  return finishRun(run, started);
}

function crawlDocuments(run: IngestRun, options: IngestOptions, crawlState: CrawlState | undefined) {
  return documentSource(options.source, {
    ...sourceOptions(options, (s) => (run.crawlStats = s), run.skips),
    // --force: nothing known about the pages' previous versions, so no conditional request and no lastmod shortcut.
    ...(crawlState ? { history: options.force ? { ...crawlState.history, previous: () => undefined } : crawlState.history } : {}),
    onCrawlEvent: (event) => {
      crawlState?.record(event);
      run.skips.addCrawlEvent(event);
      // Known unchanged without fetching (sitemap lastmod) or by a 304: its document stays as stored.
      if (crawlState && event.type === 'unchanged') countSkipped(run, event.url, 'unchanged');
      options.onCrawlEvent?.(event);
    },
  });
}
