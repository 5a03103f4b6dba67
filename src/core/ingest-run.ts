/**
 * One ingest run, whatever its documents come from: the collection opened (created if need be),
 * the stages composed, the summary counted.
 *
 *   documents ─▶ skipUnchangedFiles ─▶ extract ─▶ skipUnchanged ─▶ chunk ─▶ addMetadata ─▶ embed | embedWithBatchApi ─▶ store
 */
import { pipe } from '../iter/pipe.js';
import { DEFAULT_COLLECTION, INDEX_DEFAULTS } from '../options/defaults.js';
import type { CrawlStats } from '../stages/crawl.js';
import { extract } from '../stages/extract.js';
import { chunk, chunkingFingerprint, type ChunkOptions } from '../stages/chunk.js';
import { embed } from '../stages/embed.js';
import { embedWithBatchApi } from '../embed/batch-api.js';
import { embeddingCost } from '../models/cost.js';
import { skipUnchanged, skipUnchangedFiles, store, type DocumentOutcome } from '../stages/store.js';
import { addMetadata, checkMetadata, metadataFingerprint, type ChunkMetadata } from '../stages/metadata.js';
import { dropCollection } from '../store/collection-changes.js';
import { checkHnswSettings, ensureCollection, getCollection, indexIfLarge, type Collection } from '../store/collections.js';
import { findCachedEmbeddings } from '../store/documents.js';
import type { Database } from '../store/database.js';
import type { ChunkedDocument, ExtractedDocument, SourceDocument } from '../types.js';
import type { IngestBaseOptions, IngestSummary } from './ingest-types.js';
import { SkipLog, addCounts } from './skip-log.js';
import { checkInteger } from '../options/check.js';

/** The state of one run. */
export interface IngestRun {
  readonly options: IngestBaseOptions;
  readonly collection: Collection;
  readonly summary: IngestSummary;
  readonly chunkOptions: ChunkOptions;
  /** Stored with each page: a page stored with other chunking or other metadata is not unchanged. */
  readonly chunking: string;
  /** Page limit of a crawl, for progress; undefined for other sources. */
  readonly maxPages: number | undefined;
  /** The crawl's running statistics, when the documents come from a crawl. */
  crawlStats?: Readonly<CrawlStats>;
  /** Files and documents not stored (not read, or unreadable), added to the summary at the end. */
  readonly skips: SkipLog;
}

/** Check what every ingest takes before anything is opened or fetched. */
export function checkIngestOptions(options: IngestBaseOptions): void {
  if (options.metadata !== undefined) checkMetadata(options.metadata);
  if (options.index !== undefined) checkHnswSettings(options.index);
  if (options.indexMinChunks !== undefined && options.indexMinChunks !== Infinity) checkInteger('indexMinChunks', options.indexMinChunks, { min: 0 });
}

/**
 * Open (or create) the ingest's collection and run `fn` on it. A first ingest that stored nothing
 * (a refused start URL, a bad folder) leaves no empty collection behind. An ingest that leaves the
 * collection past `indexMinChunks` builds its HNSW index at the end.
 */
export async function openIngestCollection(options: IngestBaseOptions, fn: (collection: Collection) => Promise<IngestSummary>): Promise<IngestSummary> {
  const { pool } = options.db;
  const name = options.collection ?? DEFAULT_COLLECTION;
  const existed = (await getCollection(pool, name)) !== undefined;
  const collection = await ensureCollection(pool, name, options.embedding, options.index ? { index: options.index } : {});
  let summary: IngestSummary;
  try {
    summary = await fn(collection);
  } catch (err) {
    if (!existed && (await countDocuments(options.db, collection.id)) === 0) await dropCollection(pool, name).catch(() => undefined);
    throw err;
  }
  if (!summary.dryRun) {
    const started = performance.now();
    const minChunks = options.indexMinChunks ?? (options.db.kind === 'pglite' ? INDEX_DEFAULTS.minChunksEmbedded : INDEX_DEFAULTS.minChunksServer);
    if (await indexIfLarge(pool, collection, minChunks)) {
      summary.indexMs = Math.round(performance.now() - started);
      summary.ms += summary.indexMs;
    }
  }
  return summary;
}

async function countDocuments(db: Database, collectionId: number): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM documents WHERE collection_id = $1', [collectionId]);
  return rows[0]!.n;
}

/** A new run into `collection`, its summary at zero. */
export function startRun(options: IngestBaseOptions, collection: Collection, source: string, maxPages?: number): IngestRun {
  const chunkOptions: ChunkOptions = { ...options.chunk, encoding: options.embedding.encoding, maxInputTokens: options.embedding.maxInputTokens };
  return {
    options,
    collection,
    chunkOptions,
    chunking: metadataFingerprint(chunkingFingerprint(chunkOptions), options.metadata),
    maxPages,
    skips: new SkipLog(),
    summary: {
      collection: collection.name,
      source,
      ...{ documents: 0, new: 0, changed: 0, unchanged: 0, empty: 0, removed: 0 },
      resumed: false,
      skipped: {},
      skippedItems: [],
      ...{ chunks: 0, embeddedChunks: 0, embeddedTokens: 0, cachedChunks: 0 },
      ms: 0,
    },
  };
}

/** Count a document the stages did not store (unchanged or empty), and report progress. */
export function countSkipped(run: IngestRun, url: string, outcome: 'unchanged' | 'empty'): void {
  if (outcome === 'unchanged') {
    run.summary.unchanged++;
    run.summary.documents++;
  } else run.summary.empty++;
  reportProgress(run, url, outcome);
}

function reportProgress(run: IngestRun, url: string, outcome: DocumentOutcome): void {
  const { summary } = run;
  run.options.onProgress?.({
    documents: summary.documents + summary.empty,
    fetched: run.crawlStats?.fetched ?? 0,
    maxPages: run.maxPages,
    chunks: summary.chunks,
    tokens: summary.embeddedTokens,
    url,
    outcome,
  });
}

/** Where a caller of {@link runStages} joins in. */
export interface StageHooks {
  /** Hears of each document that is done with (stored, unchanged or empty). */
  onSettled?: (url: string, contentHash?: string) => void;
  /** Changes an extracted document before the unchanged check (e.g. its hash). */
  afterExtract?: (doc: ExtractedDocument) => ExtractedDocument;
  /** A document's own chunk metadata, merged over the ingest's. */
  chunkMetadata?: (url: string) => ChunkMetadata | undefined;
}

async function* mapDocs<T>(docs: AsyncIterable<T>, fn: ((doc: T) => T) | undefined): AsyncGenerator<T> {
  for await (const doc of docs) yield fn ? fn(doc) : doc;
}

function withDocumentMetadata(doc: ChunkedDocument, metadata: ChunkMetadata | undefined): ChunkedDocument {
  if (!metadata || Object.keys(metadata).length === 0) return doc;
  return { ...doc, chunks: doc.chunks.map((c) => ({ ...c, metadata: { ...c.metadata, ...metadata } })) };
}

/** Run the documents through the stages into the run's collection, counting every outcome. */
export async function runStages(run: IngestRun, documents: AsyncIterable<SourceDocument>, hooks: StageHooks = {}): Promise<void> {
  const { onSettled, chunkMetadata } = hooks;
  const { options, collection, chunking, summary } = run;
  const { pool } = options.db;
  // What both embedding paths share: the model, the stored vectors as a cache, cancellation.
  const embedding = {
    model: options.embedding,
    cache: (hashes: string[]) => findCachedEmbeddings(pool, options.embedding, hashes),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const stored = pipe(
    documents,
    // An unchanged PDF or Word file is known by its bytes: it is not parsed again.
    (docs) =>
      skipUnchangedFiles(docs, {
        pool,
        collection,
        chunking,
        onSkip: (doc, hash) => {
          onSettled?.(doc.url, hash);
          countSkipped(run, doc.url, 'unchanged');
        },
      }),
    (docs) =>
      mapDocs(
        extract(docs, {
          // A document that cannot be read is counted and listed; the ingest goes on.
          onUnreadable: (doc, error) => {
            run.skips.addUnreadable(doc, error);
            onSettled?.(doc.url);
          },
        }),
        hooks.afterExtract,
      ),
    (docs) =>
      skipUnchanged(docs, {
        pool,
        collection,
        chunking,
        ...(options.force ? { force: true } : {}),
        onSkip: (doc, outcome) => {
          onSettled?.(doc.url, doc.contentHash);
          countSkipped(run, doc.url, outcome);
        },
      }),
    (docs) => chunk(docs, run.chunkOptions),
    (docs) => mapDocs(addMetadata(docs, options.metadata ?? {}), chunkMetadata && ((doc) => withDocumentMetadata(doc, chunkMetadata(doc.document.url)))),
    (docs) =>
      options.batchApi
        ? embedWithBatchApi(docs, { ...(options.batchApi === true ? {} : options.batchApi), pool, ...embedding })
        : embed(docs, { ...options.embed, ...embedding }),
    (docs) => store(docs, { pool, collection, chunking }),
  );
  for await (const doc of stored) {
    onSettled?.(doc.url);
    summary.documents++;
    summary[doc.outcome]++;
    summary.chunks += doc.chunks;
    summary.cachedChunks += doc.cachedChunks;
    summary.embeddedChunks += doc.chunks - doc.cachedChunks;
    summary.embeddedTokens += doc.embeddedTokens;
    reportProgress(run, doc.url, doc.outcome);
  }
}

/** The run's summary, with its cost and duration. */
export function finishRun(run: IngestRun, started: number): IngestSummary {
  const cost = embeddingCost(run.options.embedding.modelId, run.summary.embeddedTokens);
  if (cost !== undefined) run.summary.costUsd = cost;
  run.summary.skipped = addCounts(run.summary.skipped, run.skips.counts);
  run.summary.skippedItems = run.skips.items;
  run.summary.ms = Math.round(performance.now() - started);
  return run.summary;
}

/** The crawl's skips by reason, without the reasons that did not occur. */
export function skippedCounts(stats: Readonly<CrawlStats> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(stats?.skipped ?? {}).filter(([, n]) => n > 0));
}
