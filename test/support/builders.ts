/**
 * Builders of the plain data that flows between stages, for tests that feed a stage directly.
 * Each fills every field with something valid; a test overrides what it is about.
 */
import { createHash } from 'node:crypto';
import type { Chunk, ChunkedDocument, EmbeddedChunk, EmbeddedDocument, ExtractedDocument } from '../../src/types.js';
import { getTokenizer } from '../../src/models/tokenizer.js';
import type { ChunkMetadata } from '../../src/stages/metadata.js';
import { seededRandom } from './seeded-random.js';

/** sha256 in hex, as the stages hash texts and documents. */
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** An extracted document with no blocks (the store stage does not read them). */
export function extractedDocument(url: string, overrides: Partial<ExtractedDocument> = {}): ExtractedDocument {
  return { url, title: url, contentType: 'text/html', fetchedAt: new Date(), blocks: [], contentHash: sha256(url), ...overrides };
}

/** A chunk whose embedded input is its text, counted in cl100k_base and hashed as the chunk stage does. */
export function chunkOf(url: string, ordinal: number, text: string, overrides: Partial<Chunk> = {}): Chunk {
  const embeddingInput = overrides.embeddingInput ?? text;
  return {
    url,
    title: 't',
    ordinal,
    text,
    headingPath: [],
    embeddingInput,
    tokenCount: getTokenizer('cl100k_base').count(embeddingInput),
    textHash: sha256(embeddingInput),
    metadata: {},
    ...overrides,
  };
}

/** A chunk with its vector. */
export function embeddedChunkOf(url: string, ordinal: number, text: string, embedding: Float32Array, overrides: Partial<EmbeddedChunk> = {}): EmbeddedChunk {
  return { ...chunkOf(url, ordinal, text, overrides), embedding, ...overrides };
}

/** A document and its chunks, as the chunk stage yields them. */
export function chunkedDocument(url: string, chunks: Chunk[], overrides: Partial<ExtractedDocument> = {}): ChunkedDocument {
  return { document: extractedDocument(url, overrides), chunks };
}

/** A document and its embedded chunks, as the embed stage yields them; its hash is that of its texts. */
export function embeddedDocument(url: string, chunks: EmbeddedChunk[], overrides: Partial<ExtractedDocument> = {}): EmbeddedDocument {
  return {
    document: extractedDocument(url, { contentHash: sha256(chunks.map((c) => c.text).join('|')), ...overrides }),
    chunks,
    cachedChunks: 0,
    embeddedTokens: 0,
  };
}

/** Options of {@link clusteredPages}. */
export interface ClusteredPagesOptions {
  count: number;
  perPage: number;
  dims: number;
  /** Seed of the generator: the same options give the same vectors. */
  seed: number;
  /** How many random cluster centres the vectors lie around. */
  centres: number;
  /** Each dimension of a vector is its centre's ± spread/2. */
  spread: number;
  /** Chunk n's text and metadata (n counts from 0 across the pages). */
  chunk: (n: number) => { text: string; metadata?: ChunkMetadata };
}

/**
 * `count` pages (`https://docs.test/p<i>`, titled `Page <i>`) of `perPage` embedded chunks, chunk n
 * near centre n mod `centres`: data for index and filter tests, where every query vector has true
 * neighbours to find.
 */
export function clusteredPages(o: ClusteredPagesOptions): EmbeddedDocument[] {
  const rand = seededRandom(o.seed);
  const centres = Array.from({ length: o.centres }, () => Float32Array.from({ length: o.dims }, () => rand() * 2 - 1));
  return Array.from({ length: o.count }, (_, p) => {
    const url = `https://docs.test/p${p}`;
    const chunks = Array.from({ length: o.perPage }, (_, ordinal) => {
      const n = p * o.perPage + ordinal;
      const { text, metadata = {} } = o.chunk(n);
      const embedding = Float32Array.from(centres[n % o.centres]!, (v) => v + (rand() - 0.5) * o.spread);
      return embeddedChunkOf(url, ordinal, text, embedding, { title: `Page ${p}`, metadata });
    });
    return embeddedDocument(url, chunks, { title: `Page ${p}` });
  });
}
