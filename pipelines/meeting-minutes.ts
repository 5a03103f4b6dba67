/**
 * The meeting-minutes pipeline, composed from ragline's stages:
 *
 *   audio ─▶ transcribeAudio (split at silences, segments in parallel, resumable) ─┐
 *   transcript file (vtt, srt, txt) ─▶ parseTranscript ──────────────────────────────┴▶ transcript
 *   transcript ─▶ generateMinutes (map-reduce, structured outputs) | extractiveMinutes (offline) ─▶ minutes
 *   minutes + transcript ─▶ md / json / docx / txt / srt / vtt
 *   transcript ─▶ meetingPassages ─▶ skipUnchanged ─▶ chunk ─▶ embed ─▶ store   (collection `meetings`)
 *
 * Every step is a public export of `ragline`; this file is also the reference for using them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, InputError } from '../src/errors.js';
import { pipe } from '../src/iter/pipe.js';
import { chunk, chunkingFingerprint, type ChunkOptions } from '../src/stages/chunk.js';
import { embed, type EmbedOptions } from '../src/stages/embed.js';
import { skipUnchanged, store } from '../src/stages/store.js';
import type { Database } from '../src/store/database.js';
import { ensureCollection } from '../src/store/collections.js';
import { findCachedEmbeddings } from '../src/store/documents.js';
import type { ChatModel, EmbeddingModel, TranscriptionModel } from '../src/models/spec.js';
import type { ChunkedDocument, ExtractedDocument } from '../src/types.js';
import { parseTranscript, transcriptFormatOf } from '../src/meetings/parse-transcript.js';
import type { Transcript } from '../src/meetings/transcript.js';
import { generateMinutes, type GenerateMinutesOptions, type MinutesResult } from '../src/meetings/generate-minutes.js';
import { extractiveMinutes, EXTRACTIVE_MINUTES_ID } from '../src/models/local/minutes.js';
import type { MeetingRecord } from '../src/meetings/render-minutes.js';
import { resolveTemplate } from '../src/meetings/templates.js';
import { meetingPassages, type PassageMetadata } from '../src/meetings/meeting-passages.js';
import { removeStalePassages } from '../src/meetings/meeting-store.js';
import { AUDIO_EXTENSIONS, transcribeAudio, type TranscribeAudioOptions } from '../src/meetings/transcribe-audio.js';

/** Options of {@link readTranscript}. */
export interface ReadTranscriptOptions {
  /** Needed for audio input. */
  transcription?: TranscriptionModel;
  /** Audio splitting, concurrency, resume store. */
  audio?: Omit<TranscribeAudioOptions, 'model' | 'signal'>;
  signal?: AbortSignal;
}

/** Whether a path is audio or video ragline would transcribe (by its extension). */
export function isAudioFile(file: string): boolean {
  return (AUDIO_EXTENSIONS as readonly string[]).includes(path.extname(file).slice(1).toLowerCase());
}

/**
 * The transcript of a meeting file: captions and transcripts (vtt, srt, txt) are parsed; audio and
 * video are transcribed. Throws `ConfigError` for a missing file and `InputError` for an empty one.
 */
export async function readTranscript(file: string, options: ReadTranscriptOptions = {}): Promise<Transcript> {
  if (!existsSync(file)) throw new ConfigError('input', file, `No such file: ${file}.`);
  if (isAudioFile(file)) {
    if (!options.transcription) {
      throw new ConfigError('input', file, `${path.basename(file)} is audio: transcribing it needs OPENAI_API_KEY or OPENAI_BASE_URL (an OpenAI-compatible transcription server); or give a transcript (.vtt, .srt, .txt).`);
    }
    return transcribeAudio(file, { ...options.audio, model: options.transcription, ...(options.signal ? { signal: options.signal } : {}) });
  }
  const format = transcriptFormatOf(file);
  if (!format) {
    throw new ConfigError('input', file, `Cannot read ${path.basename(file)}: give a transcript (.vtt, .srt, .txt) or audio (${AUDIO_EXTENSIONS.join(', ')}).`);
  }
  const bytes = await readFile(file);
  if (bytes.includes(0)) throw new InputError(file, `${path.basename(file)} is not text: is it audio with the wrong extension?`);
  return parseTranscript(bytes.toString('utf8'), { format, source: file });
}

/** Options of {@link writeMinutes}. */
export interface WriteMinutesOptions extends Omit<GenerateMinutesOptions, 'chat'> {
  /** The chat model; without one (or with the offline `local` one) the minutes are extractive. */
  chat?: ChatModel;
}

/** Minutes of a transcript, and what wrote them. */
export interface WrittenMinutes extends MinutesResult {
  /** `provider/model`, e.g. `openai/gpt-4o-mini` or `local/extractive-minutes-v1`. */
  generator: string;
}

/** Minutes with the chat model when there is one that can do structured outputs, else extractive. */
export async function writeMinutes(transcript: Transcript, options: WriteMinutesOptions = {}): Promise<WrittenMinutes> {
  const { chat, ...rest } = options;
  if (!chat || chat.provider === 'local') {
    // The extractive writer follows no instructions, but a template that does not exist is still an error.
    if (typeof rest.template === 'string') resolveTemplate(rest.template);
    return {
      minutes: extractiveMinutes(transcript),
      generator: `local/${EXTRACTIVE_MINUTES_ID}`,
      stats: { chunks: 0, calls: 0, reduceRounds: 0, promptTokens: 0, outputTokens: 0 },
    };
  }
  const result = await generateMinutes(transcript, { ...rest, chat });
  return { ...result, generator: `${chat.provider}/${chat.modelId}` };
}

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

/** Options of {@link meetingMinutes}. */
export interface MeetingMinutesOptions extends WriteMinutesOptions, ReadTranscriptOptions {
  /** A transcript (.vtt, .srt, .txt) or audio/video file. */
  input: string;
  /** @default the input's file name without extension */
  title?: string;
  /** Store and embedding model to make the meeting searchable; without them nothing is stored. */
  db?: Database;
  embedding?: EmbeddingModel;
  /** @default 'meetings' */
  collection?: string;
}

/** Everything the pipeline made. */
export interface MeetingMinutesResult {
  record: MeetingRecord;
  stats: MinutesResult['stats'];
  ingest?: MeetingIngestSummary;
}

/** Transcript in (read or transcribed), minutes out, and the meeting stored for search. */
export async function meetingMinutes(options: MeetingMinutesOptions): Promise<MeetingMinutesResult> {
  const { input, db, embedding, collection, transcription, audio, ...minutesOptions } = options;
  const transcript = await readTranscript(input, {
    ...(transcription ? { transcription } : {}),
    ...(audio ? { audio } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const title = options.title ?? path.basename(input, path.extname(input));
  const written = await writeMinutes(transcript, { ...minutesOptions, title });
  const url = pathToFileURL(path.resolve(input)).href;
  const record: MeetingRecord = { title, source: url, transcript, minutes: written.minutes, generator: written.generator, createdAt: new Date() };
  const result: MeetingMinutesResult = { record, stats: written.stats };
  if (db && embedding) {
    result.ingest = await ingestMeeting({ db, embedding, transcript, url, title, ...(collection ? { collection } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  }
  return result;
}
