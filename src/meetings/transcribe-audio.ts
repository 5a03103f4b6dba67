/**
 * Audio to transcript: the file is planned into pieces under the model's upload and duration
 * limits (cut at silences, see split-audio.ts), the pieces are transcribed concurrently with
 * `verbose_json` segment times, and their segments are offset into one transcript.
 *
 * Prompts: each piece is sent with the closing words of the piece before it, so names and style
 * carry across cuts. That needs the previous piece's text first, so the pieces are dealt out as
 * `concurrency` contiguous runs: runs go in parallel, pieces within a run in order, and only the
 * first piece of each run goes without the previous piece's words (it gets `prompt`, if any).
 *
 * Resuming: with `pool`, every finished piece is kept in Postgres (by the audio's hash, the model
 * and the cut), so a run that was interrupted pays only for the pieces not done yet.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { ConfigError, InputError, describeValue } from '../errors.js';
import { checkInteger } from '../options/check.js';
import { MINUTES_DEFAULTS } from '../options/defaults.js';
import type { TranscribeResult, TranscriptionModel } from '../models/spec.js';
import { planAudio, type AudioPiece, type PlanAudioOptions } from './split-audio.js';
import { findTranscribedPieces, saveTranscribedPiece } from './audio-pieces-store.js';
import type { Transcript, TranscriptSegment } from './transcript.js';

/** Audio and video extensions the OpenAI transcription API accepts. */
export const AUDIO_EXTENSIONS = ['mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'wav', 'webm', 'ogg', 'flac'] as const;

/** Progress: one piece done. */
export interface AudioPieceEvent {
  index: number;
  of: number;
  start: number;
  end: number;
  /** True when the piece came from the store rather than the model. */
  resumed: boolean;
  /** The prompt sent with it (the previous piece's closing words), if any. */
  prompt?: string;
  bytes: number;
  ms: number;
}

/** Options of {@link transcribeAudio}. */
export interface TranscribeAudioOptions extends Pick<PlanAudioOptions, 'ffmpeg' | 'silenceDb' | 'minSilenceSeconds'> {
  model: TranscriptionModel;
  /**
   * Pieces in flight at once.
   * @default 4
   */
  concurrency?: number;
  /**
   * Longest piece in seconds; also bounded by the model's duration limit.
   * @default the model's limit, else 20 minutes
   */
  maxPieceSeconds?: number;
  /**
   * Largest piece in bytes.
   * @default the model's upload limit
   */
  maxPieceBytes?: number;
  /** Words (names, jargon) to prompt the first piece of each run with. */
  prompt?: string;
  /**
   * Closing words of a piece passed on as the next piece's prompt (whisper-1 reads the last 224 tokens).
   * @default 40
   */
  promptWords?: number;
  /** ISO-639-1 language, when known. */
  language?: string;
  /** Keep finished pieces here (migrations/005_meetings.sql) so an interrupted run resumes. */
  pool?: pg.Pool;
  onPiece?: (event: AudioPieceEvent) => void;
  signal?: AbortSignal;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const closingWords = (text: string, n: number) => text.trim().split(/\s+/).slice(-n).join(' ');

/** Split `n` items into `runs` contiguous runs of nearly equal length. */
function runsOf<T>(items: readonly T[], runs: number): T[][] {
  const out: T[][] = [];
  const size = Math.ceil(items.length / Math.max(1, runs));
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Transcribe an audio or video file into one transcript (see the module comment). */
export async function transcribeAudio(file: string, options: TranscribeAudioOptions): Promise<Transcript> {
  const concurrency = checkTranscribeOptions(file, options);
  const plan = await planAudio(file, planOptions(options));
  const context: PieceContext = { file, options, of: plan.pieces.length, ...(await resumeState(file, options)) };
  const results = await transcribeInRuns(plan.pieces, concurrency, options, (piece, prompt) => transcribePiece(context, piece, prompt));
  const segments = plan.pieces.flatMap((piece, i) => pieceSegments(piece, results[i]!, plan.pieces.length));
  if (segments.length === 0) {
    throw new InputError(file, `${path.basename(file)} was transcribed to no text: is there speech in it?`);
  }
  return { segments, format: 'audio', timing: 'exact', duration: Math.max(plan.duration || 0, ...segments.map((s) => s.end)) };
}

/** The options checked before any work: the `concurrency` to use. */
function checkTranscribeOptions(file: string, options: TranscribeAudioOptions): number {
  const { model } = options;
  const concurrency = checkInteger('concurrency', options.concurrency ?? MINUTES_DEFAULTS.concurrency, { min: 1 });
  for (const [name, value] of Object.entries({ maxPieceSeconds: options.maxPieceSeconds, maxPieceBytes: options.maxPieceBytes, promptWords: options.promptWords })) {
    if (value !== undefined && !(typeof value === 'number' && value > 0)) {
      throw new ConfigError(name, value, `Expected \`${name}\` to be a positive number, got ${describeValue(value)}.`);
    }
  }
  const ext = path.extname(file).slice(1).toLowerCase();
  if (!model.formats.includes(ext)) {
    throw new ConfigError('input', file, `${model.modelId} does not take .${ext} files: use one of ${model.formats.join(', ')}.`);
  }
  return concurrency;
}

/** Pieces within the model's upload and duration limits and the user's own. */
function planOptions(options: TranscribeAudioOptions): PlanAudioOptions {
  const { model } = options;
  return {
    maxBytes: Math.min(options.maxPieceBytes ?? model.maxUploadBytes, model.maxUploadBytes),
    maxSeconds: Math.min(options.maxPieceSeconds ?? Infinity, model.maxDurationSeconds ?? (options.maxPieceSeconds ? Infinity : 1200)),
    ...(options.ffmpeg !== undefined ? { ffmpeg: options.ffmpeg } : {}),
    ...(options.silenceDb !== undefined ? { silenceDb: options.silenceDb } : {}),
    ...(options.minSilenceSeconds !== undefined ? { minSilenceSeconds: options.minSilenceSeconds } : {}),
  };
}

/** With `pool`: the audio's hash, and the pieces an earlier run of it with this model finished. */
async function resumeState(file: string, options: TranscribeAudioOptions): Promise<{ audioHash: string; done: Map<string, TranscribeResult> }> {
  if (!options.pool) return { audioHash: '', done: new Map<string, TranscribeResult>() };
  const audioHash = await sha256File(file);
  return { audioHash, done: await findTranscribedPieces(options.pool, audioHash, options.model.modelId) };
}

/** What every piece of one file is transcribed with. */
interface PieceContext {
  file: string;
  options: TranscribeAudioOptions;
  /** Pieces in all. */
  of: number;
  audioHash: string;
  /** Pieces finished before, by `startMs:endMs`. */
  done: Map<string, TranscribeResult>;
}

/**
 * The pieces in `concurrency` contiguous runs, each prompted with the closing words of the one
 * before it; the results in piece order.
 */
async function transcribeInRuns(
  pieces: readonly AudioPiece[],
  concurrency: number,
  options: TranscribeAudioOptions,
  transcribe: (piece: AudioPiece, prompt: string | undefined) => Promise<TranscribeResult>,
): Promise<TranscribeResult[]> {
  const results: TranscribeResult[] = new Array(pieces.length);
  const promptWords = options.promptWords ?? 40;
  let failed = false;
  await Promise.all(
    runsOf(pieces, concurrency).map(async (run) => {
      let prompt = options.prompt;
      for (const piece of run) {
        // After a failure no new piece is started; finished ones are kept (with `pool`) for the next run.
        if (failed) return;
        const result = await transcribe(piece, prompt).catch((err: unknown) => {
          failed = true;
          throw err;
        });
        results[piece.index] = result;
        const tail = closingWords(result.text, promptWords);
        prompt = tail || options.prompt;
      }
    }),
  );
  return results;
}

/** One piece: from the store when an earlier run finished it, else from the model (and then stored). */
async function transcribePiece(context: PieceContext, piece: AudioPiece, prompt: string | undefined): Promise<TranscribeResult> {
  const { file, options, of, audioHash } = context;
  const { model } = options;
  const started = performance.now();
  const key = { audioHash, model: model.modelId, startMs: Math.round(piece.start * 1000), endMs: Number.isFinite(piece.end) ? Math.round(piece.end * 1000) : -1 };
  const stored = context.done.get(`${key.startMs}:${key.endMs}`);
  if (stored) {
    options.onPiece?.({ index: piece.index, of, start: piece.start, end: piece.end, resumed: true, bytes: 0, ms: 0 });
    return stored;
  }
  options.signal?.throwIfAborted();
  const { audio, fileName } = await piece.load();
  if (audio.length > model.maxUploadBytes) {
    throw new InputError(file, `Piece ${piece.index + 1} of ${path.basename(file)} is ${(audio.length / 1e6).toFixed(1)} MB after cutting, over ${model.modelId}'s ${(model.maxUploadBytes / 1e6).toFixed(0)} MB limit.`);
  }
  const result = await model.transcribe({
    audio,
    fileName,
    ...(prompt ? { prompt } : {}),
    ...(options.language ? { language: options.language } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (options.pool) await saveTranscribedPiece(options.pool, key, result);
  options.onPiece?.({ index: piece.index, of, start: piece.start, end: piece.end, resumed: false, ...(prompt ? { prompt } : {}), bytes: audio.length, ms: Math.round(performance.now() - started) });
  return result;
}

/**
 * A piece's segments with their times offset into the whole recording, and the speakers a
 * diarizing model labelled: `A` becomes `Speaker A`. Labels restart in each uploaded piece, so in a
 * recording sent in pieces they are marked with their piece (`Speaker A (part 2)`): the same letter
 * in two pieces need not be the same voice.
 */
function pieceSegments(piece: AudioPiece, result: TranscribeResult, pieces: number): TranscriptSegment[] {
  const pieceEnd = Number.isFinite(piece.end) ? piece.end : piece.start + (result.duration ?? 0);
  const own = result.segments.length > 0 ? result.segments : result.text.trim() ? [{ start: 0, end: result.duration ?? pieceEnd - piece.start, text: result.text }] : [];
  const segments: TranscriptSegment[] = [];
  for (const s of own) {
    const text = s.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    // Offsets into the whole recording; a model's times never run past its piece.
    const start = Math.round((piece.start + Math.max(0, s.start)) * 1000) / 1000;
    const end = Math.round(Math.min(Number.isFinite(pieceEnd) ? pieceEnd : Infinity, piece.start + Math.max(s.start, s.end)) * 1000) / 1000;
    const segment: TranscriptSegment = { start, end: Math.max(start, end), text };
    if (s.speaker) segment.speaker = `${/^[A-Z]$/.test(s.speaker) ? `Speaker ${s.speaker}` : s.speaker}${pieces > 1 ? ` (part ${piece.index + 1})` : ''}`;
    segments.push(segment);
  }
  return segments;
}
