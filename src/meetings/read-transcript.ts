/** Reading a meeting file: captions and transcripts are parsed, audio and video transcribed. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, InputError } from '../errors.js';
import type { TranscriptionModel } from '../models/spec.js';
import { parseTranscript, transcriptFormatOf } from './parse-transcript.js';
import type { Transcript } from './transcript.js';
import { AUDIO_EXTENSIONS, transcribeAudio, type TranscribeAudioOptions } from './transcribe-audio.js';

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
