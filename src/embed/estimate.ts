/**
 * What an ingest would cost, without spending anything: documents are read (or crawled),
 * extracted and chunked exactly as a real run would, tokens are counted with the embedding model's
 * encoding, and the store is only read — to know which pages are unchanged and which texts already
 * have vectors. No embedding request is made and nothing is written.
 */
import type pg from 'pg';
import { extract, type ExtractStageOptions } from '../stages/extract.js';
import { chunkDocument, chunkingFingerprint, type ChunkOptions } from '../stages/chunk.js';
import { metadataFingerprint, type ChunkMetadata } from '../stages/metadata.js';
import { getCollection } from '../store/collections.js';
import { findCachedEmbeddings, getDocumentState } from '../store/documents.js';
import { embeddingCost } from '../models/cost.js';
import type { EmbeddingModel } from '../models/spec.js';
import type { SourceDocument } from '../types.js';

/** Options of {@link estimateIngest}. */
export interface EstimateIngestOptions {
  pool: pg.Pool;
  /** The collection the ingest would write to; it need not exist. */
  collection: string;
  documents: AsyncIterable<SourceDocument>;
  embedding: EmbeddingModel;
  /** Chunk size and overlap, as the ingest would use them. */
  chunk?: Pick<ChunkOptions, 'maxTokens' | 'overlapTokens'>;
  /** Metadata the ingest would store with every chunk: a page stored with other metadata counts as changed. */
  metadata?: ChunkMetadata;
  /** As `ingest`'s `force`: documents with unchanged text count as changed (they would be re-chunked and written). */
  force?: boolean;
  /** Told of each document that cannot be read (corrupt, encrypted...), which is skipped; without it such a document ends the estimate. */
  onUnreadable?: ExtractStageOptions['onUnreadable'];
  /** Told about every document, with what a real run would do to it. */
  onDocument?: (url: string, outcome: 'new' | 'changed' | 'unchanged' | 'empty', chunks: number) => void;
}

/** What an ingest would do and cost. */
export interface IngestEstimate {
  /** Documents with readable text, changed or not. */
  documents: number;
  new: number;
  changed: number;
  unchanged: number;
  empty: number;
  /** Chunks of the new and changed documents. */
  chunks: number;
  /** Their tokens, in the embedding model's encoding. */
  tokens: number;
  /** Chunks and tokens that would be sent to the API (not cached, each distinct text once). */
  embeddedChunks: number;
  embeddedTokens: number;
  /** Chunks whose vectors the store already has. */
  cachedChunks: number;
  /** US dollars for `embeddedTokens` at the catalog price; absent when the model has no price. */
  costUsd?: number;
  /** The same through the Batch API (half price). */
  batchCostUsd?: number;
}

/** Count pages, chunks and tokens of an ingest and price it, reading the store but never writing. */
export async function estimateIngest(options: EstimateIngestOptions): Promise<IngestEstimate> {
  const { pool, embedding } = options;
  const chunkOptions: ChunkOptions = { ...options.chunk, encoding: embedding.encoding, maxInputTokens: embedding.maxInputTokens };
  const chunking = metadataFingerprint(chunkingFingerprint(chunkOptions), options.metadata);
  const collection = await getCollection(pool, options.collection);
  const estimate: IngestEstimate = { documents: 0, new: 0, changed: 0, unchanged: 0, empty: 0, chunks: 0, tokens: 0, embeddedChunks: 0, embeddedTokens: 0, cachedChunks: 0 };
  // Distinct texts to embed, by hash, and their tokens; the cache is asked in batches.
  const pending = new Map<string, number>();
  const seen = new Set<string>();
  const settle = async () => {
    const hashes = [...pending.keys()];
    const cached = hashes.length ? await findCachedEmbeddings(pool, embedding, hashes) : new Map();
    for (const [hash, tokens] of pending) {
      if (cached.has(hash)) estimate.cachedChunks++;
      else {
        estimate.embeddedChunks++;
        estimate.embeddedTokens += tokens;
      }
    }
    pending.clear();
  };
  for await (const doc of extract(options.documents, options.onUnreadable ? { onUnreadable: options.onUnreadable } : {})) {
    if (doc.blocks.length === 0) {
      estimate.empty++;
      options.onDocument?.(doc.url, 'empty', 0);
      continue;
    }
    estimate.documents++;
    const stored = collection ? await getDocumentState(pool, collection.id, doc.url) : undefined;
    if (!options.force && stored && stored.contentHash === doc.contentHash && stored.chunking === chunking) {
      estimate.unchanged++;
      options.onDocument?.(doc.url, 'unchanged', 0);
      continue;
    }
    estimate[stored ? 'changed' : 'new']++;
    const chunks = chunkDocument(doc, chunkOptions);
    for (const c of chunks) {
      estimate.chunks++;
      estimate.tokens += c.tokenCount;
      if (seen.has(c.textHash)) estimate.cachedChunks++; // sent once, reused within the run
      else {
        seen.add(c.textHash);
        pending.set(c.textHash, c.tokenCount);
      }
    }
    if (pending.size >= 1000) await settle();
    options.onDocument?.(doc.url, stored ? 'changed' : 'new', chunks.length);
  }
  await settle();
  const cost = embeddingCost(embedding.modelId, estimate.embeddedTokens);
  const batchCost = embeddingCost(embedding.modelId, estimate.embeddedTokens, { batch: true });
  return { ...estimate, ...(cost !== undefined ? { costUsd: cost } : {}), ...(batchCost !== undefined ? { batchCostUsd: batchCost } : {}) };
}
