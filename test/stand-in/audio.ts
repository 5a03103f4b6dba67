/**
 * `/v1/audio/transcriptions` for the stand-in: multipart upload as the SDK sends it, the API's
 * 25 MB request limit (413), its file formats, models and `response_format`s (`json`, `text`,
 * `verbose_json` with segments, `srt`, `vtt`). The stand-in cannot recognise speech, so what was
 * said comes from a pluggable transcriber; the default one only measures WAV audio.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiErrorResponse, invalidRequest, missingApiKey, missingParameter, modelNotFound } from './api-errors.js';

/** What a transcriber hears in one upload; times are seconds from the start of the upload. */
export interface StandInTranscription {
  text: string;
  segments: Array<{ start: number; end: number; text: string; speaker?: string }>;
  /** Length of the upload's audio in seconds. */
  duration: number;
  language?: string;
}

/** Turns uploaded audio into text: a test's stand-in for speech recognition. */
export type StandInTranscriber = (
  audio: Buffer,
  request: { fileName: string; model: string; prompt?: string; language?: string },
) => StandInTranscription | Promise<StandInTranscription>;

/** Largest request the API reads: 25 MiB, as its 413 message says. */
export const MAX_AUDIO_REQUEST_BYTES = 26_214_400;
/** Extensions the API accepts. */
export const AUDIO_FORMATS = ['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'] as const;
/** Transcription models, with the longest audio each takes (gpt-4o-*-transcribe: 1500 s) and their formats. */
export const TRANSCRIPTION_MODELS: ReadonlyMap<string, { maxSeconds: number; formats: readonly string[] }> = new Map([
  ['whisper-1', { maxSeconds: Infinity, formats: ['json', 'text', 'srt', 'verbose_json', 'vtt'] }],
  ['gpt-4o-transcribe', { maxSeconds: 1500, formats: ['json', 'text'] }],
  ['gpt-4o-mini-transcribe', { maxSeconds: 1500, formats: ['json', 'text'] }],
  ['gpt-4o-transcribe-diarize', { maxSeconds: 1500, formats: ['json', 'text', 'diarized_json'] }],
]);

/** The default transcriber: no words, only how long a WAV upload lasts. */
export const measuringTranscriber: StandInTranscriber = (audio) => {
  const duration = wavDuration(audio) ?? 0;
  const text = `(stand-in heard ${duration.toFixed(1)} s of audio)`;
  return { text, duration, segments: [{ start: 0, end: duration, text }] };
};

/** Seconds of audio in a PCM WAV buffer, or undefined when it is not one. */
export function wavDuration(buf: Buffer): number | undefined {
  if (buf.length < 44 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let at = 12;
  let byteRate = 0;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') byteRate = buf.readUInt32LE(at + 16);
    if (id === 'data') return byteRate ? Math.min(size, buf.length - at - 8) / byteRate : undefined;
    at += 8 + size + (size % 2);
  }
  return undefined;
}

interface Part {
  name: string;
  fileName?: string;
  data: Buffer;
}

/** Parts of a multipart/form-data body. */
function parseMultipart(body: Buffer, contentType: string): Part[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) throw invalidRequest('Could not parse multipart form', null);
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: Part[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const chunk = body.subarray(start + 2, next - 2); // after CRLF, before CRLF
    const headerEnd = chunk.indexOf('\r\n\r\n');
    const headers = chunk.subarray(0, headerEnd).toString('utf8');
    const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? '';
    const fileName = /filename="([^"]*)"/i.exec(headers)?.[1];
    parts.push({ name, ...(fileName !== undefined ? { fileName } : {}), data: chunk.subarray(headerEnd + 4) });
    at = next;
  }
  return parts;
}

const clock = (s: number, sep: string) => {
  const ms = Math.round(s * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = Math.floor((ms % 60_000) / 1000);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}${sep}${String(ms % 1000).padStart(3, '0')}`;
};

/** What the handler tells the stand-in about the request it answered. */
export interface AudioRequestRecord {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Answer one `POST /v1/audio/transcriptions`. Resolves with what to record; the response is sent.
 */
export async function handleAudioTranscription(
  req: IncomingMessage,
  res: ServerResponse,
  options: { transcribe?: StandInTranscriber; headers?: Record<string, string> } = {},
): Promise<AudioRequestRecord> {
  const record: AudioRequestRecord = { status: 0, body: {} };
  const send = (status: number, body: string, type: string) => {
    record.status = status;
    res.writeHead(status, { 'content-type': type, ...options.headers });
    res.end(body);
  };
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_AUDIO_REQUEST_BYTES) chunks.push(chunk);
    }
    if (!/^Bearer\s+\S/i.test(req.headers.authorization ?? '')) throw missingApiKey();
    if (size > MAX_AUDIO_REQUEST_BYTES) {
      record.body = { bytes: size };
      throw new ApiErrorResponse(413, `Maximum content size limit (${MAX_AUDIO_REQUEST_BYTES}) exceeded (${size} bytes read)`, 'server_error');
    }
    const parts = parseMultipart(Buffer.concat(chunks), req.headers['content-type'] ?? '');
    const field = (name: string) => parts.find((p) => p.name === name && p.fileName === undefined)?.data.toString('utf8');
    const file = parts.find((p) => p.name === 'file' && p.fileName !== undefined);
    const model = field('model');
    const format = field('response_format') ?? 'json';
    const prompt = field('prompt');
    const language = field('language');
    record.body = { model, response_format: format, ...(prompt !== undefined ? { prompt } : {}), ...(language ? { language } : {}), file: file ? { name: file.fileName, bytes: file.data.length } : undefined };
    if (!model) throw missingParameter('model');
    const spec = TRANSCRIPTION_MODELS.get(model);
    if (!spec) throw modelNotFound(model);
    if (!file) throw missingParameter('file');
    const ext = /\.([a-z0-9]+)$/i.exec(file.fileName ?? '')?.[1]?.toLowerCase() ?? '';
    if (!(AUDIO_FORMATS as readonly string[]).includes(ext)) {
      throw invalidRequest(`Invalid file format. Supported formats: ${JSON.stringify(AUDIO_FORMATS)}`, 'file', 'invalid_value');
    }
    if (!spec.formats.includes(format)) {
      throw invalidRequest(`response_format '${format}' is not compatible with model '${model}'. Use ${spec.formats.map((f) => `'${f}'`).join(' or ')}.`, 'response_format', 'unsupported_value');
    }
    if (file.data.length === 0) throw invalidRequest('The audio file could not be decoded or its format is not supported.', 'file', 'invalid_value');
    const heard = await (options.transcribe ?? measuringTranscriber)(file.data, { fileName: file.fileName ?? '', model, ...(prompt !== undefined ? { prompt } : {}), ...(language ? { language } : {}) });
    if (heard.duration > spec.maxSeconds) {
      throw invalidRequest(`audio duration ${heard.duration} seconds is longer than ${spec.maxSeconds} seconds which is the maximum for this model`, null, 'invalid_value');
    }
    switch (format) {
      case 'text':
        send(200, `${heard.text}\n`, 'text/plain; charset=utf-8');
        break;
      case 'srt':
        send(200, heard.segments.map((s, i) => `${i + 1}\n${clock(s.start, ',')} --> ${clock(s.end, ',')}\n${s.text.trim()}\n`).join('\n'), 'text/plain; charset=utf-8');
        break;
      case 'vtt':
        send(200, `WEBVTT\n\n${heard.segments.map((s) => `${clock(s.start, '.')} --> ${clock(s.end, '.')}\n${s.text.trim()}\n`).join('\n')}`, 'text/plain; charset=utf-8');
        break;
      case 'diarized_json':
        send(
          200,
          JSON.stringify({
            task: 'transcribe',
            duration: heard.duration,
            text: heard.text,
            segments: heard.segments.map((s, i) => ({ type: 'transcript.text.segment', id: `seg_${i}`, start: s.start, end: s.end, text: s.text, speaker: s.speaker ?? 'A' })),
            usage: { type: 'duration', seconds: Math.ceil(heard.duration) },
          }),
          'application/json',
        );
        break;
      case 'verbose_json':
        send(
          200,
          JSON.stringify({
            task: 'transcribe',
            language: heard.language ?? 'english',
            duration: heard.duration,
            text: heard.text,
            segments: heard.segments.map((s, id) => ({ id, seek: 0, start: s.start, end: s.end, text: s.text, tokens: [], temperature: 0, avg_logprob: -0.2, compression_ratio: 1.4, no_speech_prob: 0.01 })),
            usage: { type: 'duration', seconds: Math.ceil(heard.duration) },
          }),
          'application/json',
        );
        break;
      default:
        send(200, JSON.stringify({ text: heard.text, usage: { type: 'duration', seconds: Math.ceil(heard.duration) } }), 'application/json');
    }
  } catch (err) {
    if (!(err instanceof ApiErrorResponse)) throw err;
    send(err.status, JSON.stringify(err.body()), 'application/json');
  }
  return record;
}
