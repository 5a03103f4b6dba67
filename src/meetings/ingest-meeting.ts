/** Making a meeting searchable: its passages go through the same stages as web pages. */
import { pipe } from '../iter/pipe.js';
import { chunk, chunkingFingerprint, type ChunkOptions } from '../stages/chunk.js';
import { embed, type EmbedOptions } from '../stages/embed.js';
import { skipUnchanged, store } from '../stages/store.js';
import type { Database } from '../store/database.js';
import { ensureCollection } from '../store/collections.js';
import { findCachedEmbeddings } from '../store/documents.js';
import type { EmbeddingModel } from '../models/spec.js';
import type { ChunkedDocument, ExtractedDocument } from '../types.js';
import type { Transcript } from './transcript.js';
import { meetingPassages, type PassageMetadata } from './meeting-passages.js';
import { removeStalePassages } from './meeting-store.js';

/** Options of {@link ingestMeeting}. */
export interface IngestMeetingOptions {
  db: Database;
  embedding: EmbeddingModel;
  transcript: Transcript;
  /** The meeting's URL: `file://` of its input. Passages are `<url>#t=<seconds>`. */
  url: string;
  title: string;
  /** @default 'meetings' */
  collection?: string;
  /**
   * Transcript tokens per passage.
   * @default 200
   */
  passageTokens?: number;
  embed?: Pick<EmbedOptions, 'batchSize' | 'concurrency'>;
  signal?: AbortSignal;
}

/** What {@link ingestMeeting} did. */
export interface MeetingIngestSummary {
  collection: string;
  passages: number;
  /** Passages written (new or changed); the rest were unchanged. */
  stored: number;
  /** Passages of an earlier ingest of this meeting that no longer exist. */
  removed: number;
  embeddedTokens: number;
}

/**
 * Make a meeting searchable: its passages go through the same skip-unchanged, chunk, embed and
 * store stages as web pages, each chunk carrying the passage's speakers and times as metadata.
 */
export async function ingestMeeting(options: IngestMeetingOptions): Promise<MeetingIngestSummary> {
  const { pool } = options.db;
  const collection = await ensureCollection(pool, options.collection ?? 'meetings', options.embedding);
  const passages = meetingPassages(options.transcript, {
    url: options.url,
    title: options.title,
    encoding: options.embedding.encoding,
    ...(options.passageTokens ? { passageTokens: options.passageTokens } : {}),
  });
  const metadata = new Map(passages.map((p) => [p.document.url, p.metadata]));
  // A passage and its title prefix fit one chunk, so chunk boundaries are passage boundaries.
  const chunkOptions: ChunkOptions = { maxTokens: Math.min(options.embedding.maxInputTokens, (options.passageTokens ?? 200) + 150), encoding: options.embedding.encoding, maxInputTokens: options.embedding.maxInputTokens };
  const chunking = `meeting;${chunkingFingerprint(chunkOptions)}`;
  async function* withMetadata(docs: AsyncIterable<ChunkedDocument>): AsyncGenerator<ChunkedDocument> {
    for await (const doc of docs) {
      const meta: PassageMetadata | undefined = metadata.get(doc.document.url);
      yield { ...doc, chunks: doc.chunks.map((c) => ({ ...c, metadata: { ...c.metadata, ...meta } })) };
    }
  }
  async function* documents(): AsyncGenerator<ExtractedDocument> {
    for (const p of passages) yield p.document;
  }
  const summary: MeetingIngestSummary = { collection: collection.name, passages: passages.length, stored: 0, removed: 0, embeddedTokens: 0 };
  const stored = pipe(
    documents(),
    (docs) => skipUnchanged(docs, { pool, collection, chunking }),
    (docs) => chunk(docs, chunkOptions),
    withMetadata,
    (docs) =>
      embed(docs, {
        ...options.embed,
        model: options.embedding,
        cache: (hashes) => findCachedEmbeddings(pool, options.embedding, hashes),
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    (docs) => store(docs, { pool, collection, chunking }),
  );
  for await (const doc of stored) {
    summary.stored++;
    summary.embeddedTokens += doc.embeddedTokens;
  }
  summary.removed = await removeStalePassages(pool, collection.id, options.url, passages.map((p) => p.document.url));
  return summary;
}
