import type pg from 'pg';
import type { EmbeddedDocument, ExtractedDocument } from '../types.js';
import type { Collection } from '../store/collections.js';
import { getDocumentState, replaceDocument, touchDocument } from '../store/documents.js';

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
}

/**
 * The store stage: each document and its chunks replace the stored version in one transaction,
 * so re-ingesting leaves exactly one copy and a crash leaves the previous version intact.
 */
export async function* store(source: AsyncIterable<EmbeddedDocument>, options: StoreOptions): AsyncGenerator<StoredDocument> {
  for await (const doc of source) {
    const before = await getDocumentState(options.pool, options.collection.id, doc.document.url);
    const documentId = await replaceDocument(options.pool, options.collection, doc, options.chunking);
    yield {
      url: doc.document.url,
      title: doc.document.title,
      outcome: before ? 'changed' : 'new',
      documentId,
      chunks: doc.chunks.length,
      cachedChunks: doc.cachedChunks,
      embeddedTokens: doc.embeddedTokens,
    };
  }
}

/** Options of {@link skipUnchanged}. */
export interface SkipUnchangedOptions extends StoreOptions {
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
