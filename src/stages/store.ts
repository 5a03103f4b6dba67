import type pg from 'pg';
import type { EmbeddedDocument, ExtractedDocument } from '../types.js';
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
  const maxDocuments = checkInteger('maxBatchDocuments', options.maxBatchDocuments ?? 64, { min: 1 });
  const maxChunks = checkInteger('maxBatchChunks', options.maxBatchChunks ?? 4096, { min: 1 });
  const maxWrites = checkInteger('maxWritesInFlight', options.maxWritesInFlight ?? Math.min(2, options.pool.options.max ?? 10), { min: 1 });
  const iterator = source[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<EmbeddedDocument>> | undefined;
  let done = false;
  let queued: EmbeddedDocument[] = [];
  const writes: Array<{ sources: Set<string>; result: Promise<StoredDocument[]>; settled: Promise<'written'> }> = [];

  // The next batch: queued documents in order, within the limits, each source at most once and
  // none that a write in flight holds (a repeated page waits, so that its later version wins).
  const takeBatch = (): EmbeddedDocument[] => {
    const batch: EmbeddedDocument[] = [];
    const sources = new Set<string>();
    let chunks = 0;
    for (const doc of queued) {
      const url = doc.document.url;
      if (sources.has(url) || writes.some((w) => w.sources.has(url))) break;
      if (batch.length > 0 && (batch.length >= maxDocuments || chunks + doc.chunks.length > maxChunks)) break;
      batch.push(doc);
      sources.add(url);
      chunks += doc.chunks.length;
    }
    queued = queued.slice(batch.length);
    return batch;
  };
  const write = async (batch: EmbeddedDocument[]): Promise<StoredDocument[]> => {
    const written = await writeDocuments(options.pool, options.collection, batch, options.chunking);
    return batch.map((doc, i) => ({
      url: doc.document.url,
      title: doc.document.title,
      outcome: written[i]!.created ? 'new' : 'changed',
      documentId: written[i]!.id,
      chunks: doc.chunks.length,
      cachedChunks: doc.cachedChunks,
      embeddedTokens: doc.embeddedTokens,
    }));
  };
  const queuedChunks = () => queued.reduce((n, d) => n + d.chunks.length, 0);

  try {
    for (;;) {
      while (writes.length < maxWrites && queued.length > 0) {
        const batch = takeBatch();
        if (batch.length === 0) break;
        const result = write(batch);
        const settled = result.then(
          () => 'written' as const,
          () => 'written' as const,
        );
        writes.push({ sources: new Set(batch.map((d) => d.document.url)), result, settled });
      }
      if (writes.length === 0 && done) return;
      // Read on while the next batch has room; a full one waits for the oldest write.
      const reading = !done && queued.length < maxDocuments && queuedChunks() < maxChunks;
      if (reading) next ??= iterator.next();
      const waits: Array<Promise<'written' | 'item'>> = [];
      if (writes[0]) waits.push(writes[0].settled);
      if (reading) waits.push(next!.then(() => 'item' as const));
      const first = await Promise.race(waits);
      if (first === 'item') {
        const item = await next!;
        next = undefined;
        if (item.done) done = true;
        else queued.push(item.value);
        continue;
      }
      // Results are yielded in write order: the oldest write first.
      const results = await writes[0]!.result;
      writes.shift();
      for (const r of results) yield r;
    }
  } finally {
    // A consumer that stops early, or a failed write: the writes in flight commit or not on their
    // own; wait for them so that nobody closes the pool under them.
    await Promise.all(writes.map((w) => w.settled));
    if (!done) {
      const closing = iterator.return?.();
      if (next) void closing?.catch(() => undefined);
      else await closing;
    }
  }
}

/** Options of {@link skipUnchanged}. */
export interface SkipUnchangedOptions extends Pick<StoreOptions, 'pool' | 'collection' | 'chunking'> {
  /** Told about each document that is passed over, and why. */
  onSkip?: (doc: ExtractedDocument, outcome: 'unchanged' | 'empty') => void;
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
    const stored = await getDocumentState(options.pool, options.collection.id, doc.url);
    if (stored && stored.contentHash === doc.contentHash && stored.chunking === options.chunking) {
      await touchDocument(options.pool, options.collection.id, doc.url, doc.fetchedAt);
      options.onSkip?.(doc, 'unchanged');
      continue;
    }
    yield doc;
  }
}
