/**
 * Meeting minutes in one call:
 *
 *   audio ─▶ transcribeAudio (split at silences, segments in parallel, resumable) ─┐
 *   transcript file (vtt, srt, txt) ─▶ parseTranscript ──────────────────────────────┴▶ transcript
 *   transcript ─▶ generateMinutes (map-reduce, structured outputs) | extractiveMinutes (offline) ─▶ minutes
 *   transcript ─▶ meetingPassages ─▶ skipUnchanged ─▶ chunk ─▶ embed ─▶ store   (collection `meetings`)
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Database } from '../store/database.js';
import type { EmbeddingModel } from '../models/spec.js';
import type { MinutesResult } from './generate-minutes.js';
import type { MeetingRecord } from './render-minutes.js';
import { readTranscript, type ReadTranscriptOptions } from './read-transcript.js';
import { writeMinutes, type WriteMinutesOptions } from './write-minutes.js';
import { ingestMeeting, type MeetingIngestSummary } from './ingest-meeting.js';

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
  const record: MeetingRecord = {
    title,
    source: url,
    transcript,
    minutes: written.minutes,
    template: written.template.name,
    layout: written.template.layout,
    generator: written.generator,
    createdAt: new Date(),
  };
  const result: MeetingMinutesResult = { record, stats: written.stats };
  if (db && embedding) {
    result.ingest = await ingestMeeting({ db, embedding, transcript, url, title, ...(collection ? { collection } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  }
  return result;
}
