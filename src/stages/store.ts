import type pg from 'pg';
import type { EmbeddedDocument, ExtractedDocument, SourceDocument } from '../types.js';
import { formatForContentType } from '../formats/registry.js';
import { sourceContentHash } from './extract.js';
import type { Collection } from '../store/collections.js';
import { getDocumentState, touchDocument, writeDocuments } from '../store/documents.js';
import { checkInteger } from '../options/check.js';

/** What happened to a document on its way into the store. */
export type DocumentOutcome = 'new' | 'changed' | 'unchanged' | 'empty';

/** A document after the store stage. */
export interface StoredDocument {
  url: string;
  title: string;
  outcome: 'new' | 'changed';
  documentId: number;
  chunks: number;
  cachedChunks: number;
  embeddedTokens: number;
}

/** Where documents are stored. */
export interface StoreOptions {
  pool: pg.Pool;
  collection: Collection;
  /** `chunkingFingerprint(...)` of the chunker in use, stored with each document. */
  chunking: string;
  /**
   * Most documents written in one transaction. Documents that become ready while a write is in
   * flight go together in the next one; a slow source still gets each document written at once.
   * @default 64
   */
  maxBatchDocuments?: number;
  /**
   * Most chunks written in one transaction (a document with more travels alone).
   * @default 4096
   */
  maxBatchChunks?: number;
  /**
   * Writes in flight at once, each on its own connection: while one commits, the next streams. A
   * page is never in two writes at once, so its versions commit in order.
   * @default 2, or 1 when the pool has a single connection (the embedded database)
   */
  maxWritesInFlight?: number;
}


/**
 * The store stage: each document and its chunks replace the stored version atomically, so
 * re-ingesting leaves exactly one copy and a crash leaves the previous version intact.
 *
 * Documents that arrive while writes are in flight go together in the next transaction (one COPY,
 * one commit), so a fast source is stored in large batches and a slow one a document at a time.
 * Documents are yielded in the order they arrived, once committed.
 */
export async function* store(source: AsyncIterable<EmbeddedDocument>, options: StoreOptions): AsyncGenerator<StoredDocument> {
  const writer = new BatchWriter(source, options, {
    maxDocuments: checkInteger('maxBatchDocuments', options.maxBatchDocuments ?? 64, { min: 1 }),
    maxChunks: checkInteger('maxBatchChunks', options.maxBatchChunks ?? 4096, { min: 1 }),
    maxWrites: checkInteger('maxWritesInFlight', options.maxWritesInFlight ?? Math.min(2, options.pool.options.max ?? 10), { min: 1 }),
  });
  try {
    for (;;) {
      writer.startWrites();
      if (writer.finished) return;
      if ((await writer.nextEvent()) === 'item') continue;
      // Results are yielded in write order: the oldest write first.
      for (const r of await writer.takeOldest()) yield r;
    }
  } finally {
    await writer.close();
  }
}

/** Validated limits of the store stage. */
interface BatchLimits {
  maxDocuments: number;
  maxChunks: number;
  maxWrites: number;
}

/** A transaction in flight: the pages it holds, its outcome, and a promise that never rejects. */
interface Write {
  sources: Set<string>;
  result: Promise<StoredDocument[]>;
  settled: Promise<'written'>;
}

/** The store stage's state: the source, the documents read and waiting, the writes in flight. */
class BatchWriter {
  private readonly iterator: AsyncIterator<EmbeddedDocument>;
  private next: Promise<IteratorResult<EmbeddedDocument>> | undefined;
  private done = false;
  private queued: EmbeddedDocument[] = [];
  /** Oldest first. */
  private readonly writes: Write[] = [];

  constructor(
    source: AsyncIterable<EmbeddedDocument>,
    private readonly options: StoreOptions,
    private readonly limits: BatchLimits,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The source is exhausted and every write was taken. */
  get finished(): boolean {
    return this.writes.length === 0 && this.done;
  }

  /** Start writes of the queued documents while fewer than `maxWrites` are in flight. */
  startWrites(): void {
    while (this.writes.length < this.limits.maxWrites && this.queued.length > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) break;
      const result = this.write(batch);
      const settled = result.then(
        () => 'written' as const,
        () => 'written' as const,
      );
      this.writes.push({ sources: new Set(batch.map((d) => d.document.url)), result, settled });
    }
  }

  /**
   * Wait for the next document (queued on arrival: `'item'`) or for the oldest write to settle
   * (`'written'`). Reads on only while the next batch has room; a full one waits for the oldest write.
   */
  async nextEvent(): Promise<'item' | 'written'> {
    const { maxDocuments, maxChunks } = this.limits;
    const reading = !this.done && this.queued.length < maxDocuments && this.queuedChunks() < maxChunks;
    if (reading) this.next ??= this.iterator.next();
    const waits: Array<Promise<'written' | 'item'>> = [];
    if (this.writes[0]) waits.push(this.writes[0].settled);
    if (reading) waits.push(this.next!.then(() => 'item' as const));
    const first = await Promise.race(waits);
    if (first === 'item') {
      const item = await this.next!;
      this.next = undefined;
      if (item.done) this.done = true;
      else this.queued.push(item.value);
    }
    return first;
  }

  /** The documents of the oldest write, once committed (its error, if it failed). */
  async takeOldest(): Promise<StoredDocument[]> {
    const results = await this.writes[0]!.result;
    this.writes.shift();
    return results;
  }

  /**
   * A consumer that stops early, or a failed write: the writes in flight commit or not on their
   * own; wait for them so that nobody closes the pool under them. Then stop the source.
   */
  async close(): Promise<void> {
    await Promise.all(this.writes.map((w) => w.settled));
    if (!this.done) {
      const closing = this.iterator.return?.();
      if (this.next) void closing?.catch(() => undefined);
      else await closing;
    }
  }

  // The next batch: queued documents in order, within the limits, each source at most once and
  // none that a write in flight holds (a repeated page waits, so that its later version wins).
  private takeBatch(): EmbeddedDocument[] {
    const { maxDocuments, maxChunks } = this.limits;
    const batch: EmbeddedDocument[] = [];
    const sources = new Set<string>();
    let chunks = 0;
    for (const doc of this.queued) {
      const url = doc.document.url;
      if (sources.has(url) || this.writes.some((w) => w.sources.has(url))) break;
      if (batch.length > 0 && (batch.length >= maxDocuments || chunks + doc.chunks.length > maxChunks)) break;
      batch.push(doc);
      sources.add(url);
      chunks += doc.chunks.length;
    }
    this.queued = this.queued.slice(batch.length);
    return batch;
  }

  private async write(batch: EmbeddedDocument[]): Promise<StoredDocument[]> {
    const { pool, collection, chunking } = this.options;
    const written = await writeDocuments(pool, collection, batch, chunking);
    return batch.map((doc, i) => ({
      url: doc.document.url,
      title: doc.document.title,
      outcome: written[i]!.created ? 'new' : 'changed',
      documentId: written[i]!.id,
      chunks: doc.chunks.length,
      cachedChunks: doc.cachedChunks,
      embeddedTokens: doc.embeddedTokens,
    }));
  }

  private queuedChunks(): number {
    return this.queued.reduce((n, d) => n + d.chunks.length, 0);
  }
}

/** Options of {@link skipUnchangedFiles}. */
export interface SkipUnchangedFilesOptions extends Pick<StoreOptions, 'pool' | 'collection' | 'chunking'> {
  /** Told about each file that is passed over as unchanged, with its content hash. */
  onSkip?: (doc: SourceDocument, contentHash: string) => void;
}

/**
 * Before extraction: drop binary documents (PDF, Word) whose bytes (hash) and chunking settings
 * equal the stored ones, so an unchanged file is not even parsed. Other documents pass through,
 * for {@link skipUnchanged} to judge after extraction.
 */
export async function* skipUnchangedFiles(source: AsyncIterable<SourceDocument>, options: SkipUnchangedFilesOptions): AsyncGenerator<SourceDocument> {
  for await (const doc of source) {
    const hash = sourceContentHash(formatForContentType(doc.contentType), doc);
    const stored = hash === undefined ? undefined : await getDocumentState(options.pool, options.collection.id, doc.url);
    if (hash !== undefined && stored && stored.contentHash === hash && stored.chunking === options.chunking) {
      await touchDocument(options.pool, options.collection.id, doc.url, doc.fetchedAt);
      options.onSkip?.(doc, hash);
      continue;
    }
    yield doc;
  }
}

/** Options of {@link skipUnchanged}. */
export interface SkipUnchangedOptions extends Pick<StoreOptions, 'pool' | 'collection' | 'chunking'> {
  /** Told about each document that is passed over, and why. */
  onSkip?: (doc: ExtractedDocument, outcome: 'unchanged' | 'empty') => void;
  /**
   * Pass every document with text on, unchanged or not (`ingest --force`): each is chunked and
   * written again; its vectors still come from the embedding cache.
   * @default false
   */
  force?: boolean;
}

/**
 * Drop documents whose extracted text (hash) and chunking settings equal the stored ones — they
 * need no chunking, embedding or writing — and documents without readable text.
 */
export async function* skipUnchanged(source: AsyncIterable<ExtractedDocument>, options: SkipUnchangedOptions): AsyncGenerator<ExtractedDocument> {
  for await (const doc of source) {
    if (doc.blocks.length === 0) {
      options.onSkip?.(doc, 'empty');
      continue;
    }
    if (options.force) {
      yield doc;
      continue;
    }
    const stored = await getDocumentState(options.pool, options.collection.id, doc.url);
    if (stored && stored.contentHash === doc.contentHash && stored.chunking === options.chunking) {
      await touchDocument(options.pool, options.collection.id, doc.url, doc.fetchedAt);
      options.onSkip?.(doc, 'unchanged');
      continue;
    }
    yield doc;
  }
}
