import type { TranscriptionDiarized } from 'openai/resources/audio/transcriptions';
import type { TranscribeRequest, TranscribeResult, TranscriptionModel } from '../spec.js';
import { ConfigError } from '../../errors.js';
import { lazyOpenAIClient, loadOpenAISdk, openAITarget, toModelError, type OpenAIConnectionOptions } from './client.js';

/** What ragline knows about transcription models. */
export interface TranscriptionModelInfo {
  id: string;
  /** Longest audio in one request, in seconds, where the model has such a limit. */
  maxDurationSeconds?: number;
  /** Whether it answers `verbose_json` with segment times (gpt-4o-*-transcribe answer `json` only). */
  verboseJson: boolean;
  /** Whether it answers `diarized_json`: segment times with a speaker label each. */
  diarized?: boolean;
}

/** Transcription models known by id. Unknown ids (compatible servers) are taken to be whisper-like. */
export const TRANSCRIPTION_MODELS: readonly TranscriptionModelInfo[] = [
  { id: 'whisper-1', verboseJson: true },
  { id: 'gpt-4o-transcribe', maxDurationSeconds: 1500, verboseJson: false },
  { id: 'gpt-4o-mini-transcribe', maxDurationSeconds: 1500, verboseJson: false },
  { id: 'gpt-4o-transcribe-diarize', maxDurationSeconds: 1500, verboseJson: false, diarized: true },
];

/** OpenAI's upload limit for audio: 25 MB. */
export const MAX_AUDIO_UPLOAD_BYTES = 25 * 1024 * 1024;

/** Options of an OpenAI (or compatible) transcription model. */
export interface OpenAITranscriptionOptions extends OpenAIConnectionOptions {
  /**
   * Model id.
   * @default 'whisper-1'
   */
  model?: string;
  /**
   * Base URL of a transcription server other than the chat/embeddings one (a local whisper server).
   * @default process.env.OPENAI_TRANSCRIPTION_BASE_URL, else `baseURL`
   */
  transcriptionBaseURL?: string;
  /** Duration limit of a model the catalog does not know, in seconds. */
  maxDurationSeconds?: number;
}

/** A speech-to-text model served by the OpenAI API or an OpenAI-compatible server. */
export function createOpenAITranscription(options: OpenAITranscriptionOptions = {}): TranscriptionModel {
  const id = options.model ?? 'whisper-1';
  const known = TRANSCRIPTION_MODELS.find((m) => m.id === id);
  const info: TranscriptionModelInfo = { id, verboseJson: known?.verboseJson ?? true, diarized: known?.diarized === true, ...(known?.maxDurationSeconds ? { maxDurationSeconds: known.maxDurationSeconds } : {}) };
  const maxDuration = options.maxDurationSeconds ?? info.maxDurationSeconds;
  if (maxDuration !== undefined && !(maxDuration > 0)) {
    throw new ConfigError('maxDurationSeconds', maxDuration, `Expected \`maxDurationSeconds\` to be a positive number of seconds, got ${String(maxDuration)}.`);
  }
  const baseURL = options.transcriptionBaseURL ?? process.env.OPENAI_TRANSCRIPTION_BASE_URL ?? options.baseURL;
  const connection = { ...options, ...(baseURL ? { baseURL } : {}) };
  openAITarget(connection); // no key and no server: fail now, not at the first request
  const client = lazyOpenAIClient(connection);
  return {
    provider: 'openai',
    modelId: id,
    maxUploadBytes: MAX_AUDIO_UPLOAD_BYTES,
    ...(maxDuration !== undefined ? { maxDurationSeconds: maxDuration } : {}),
    formats: ['mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'wav', 'webm', 'ogg', 'flac'],
    async transcribe(request: TranscribeRequest): Promise<TranscribeResult> {
      try {
        const [{ toFile }, sdkClient] = await Promise.all([loadOpenAISdk(), client()]);
        const file = await toFile(request.audio, request.fileName);
        const common = {
          file,
          model: id,
          ...(request.prompt ? { prompt: request.prompt } : {}),
          ...(request.language ? { language: request.language } : {}),
        };
        if (info.diarized) {
          // Speakers come only with `diarized_json`; audio over 30 s needs a chunking strategy; the model takes no prompt.
          const params = { file, model: id, ...(request.language ? { language: request.language } : {}) };
          const r = (await sdkClient.audio.transcriptions.create({ ...params, response_format: 'diarized_json', chunking_strategy: 'auto' }, request.signal ? { signal: request.signal } : undefined)) as unknown as TranscriptionDiarized;
          return {
            text: r.text,
            segments: (r.segments ?? []).map((s) => ({ start: s.start, end: s.end, text: s.text, ...(s.speaker ? { speaker: s.speaker } : {}) })),
            ...(typeof r.duration === 'number' ? { duration: r.duration } : {}),
          };
        }
        if (!info.verboseJson) {
          const r = await sdkClient.audio.transcriptions.create({ ...common, response_format: 'json' }, request.signal ? { signal: request.signal } : undefined);
          return { text: r.text, segments: [] };
        }
        const r = await sdkClient.audio.transcriptions.create(
          { ...common, response_format: 'verbose_json', timestamp_granularities: ['segment'] },
          request.signal ? { signal: request.signal } : undefined,
        );
        return {
          text: r.text,
          segments: (r.segments ?? []).map((s) => ({ start: s.start, end: s.end, text: s.text })),
          ...(typeof r.duration === 'number' ? { duration: r.duration } : {}),
          ...(r.language ? { language: r.language } : {}),
        };
      } catch (err) {
        throw await toModelError(err, id, `Transcription with ${id}`);
      }
    },
  };
}
