/**
 * Meeting minutes in a page: a recording or a transcript in; minutes (Markdown and Word) out; the
 * meeting made searchable so `ask` can answer "who agreed to what?" later.
 *
 *   node dist/pipelines/meeting-minutes.js <meeting.mp3 | meeting.vtt> [out-folder]
 *
 * With OPENAI_API_KEY: Whisper transcribes, the chat model writes the minutes. Offline: transcripts
 * only, and the minutes are extractive (sentences of the meeting).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  defaultProvider,
  ingestMeeting,
  openDatabase,
  planOutputs,
  readTranscript,
  resolveChatModel,
  resolveEmbeddingModel,
  resolveTranscriptionModel,
  writeMinutes,
  writeOutputs,
  type Database,
  type MeetingRecord,
  type PlannedOutput,
} from '../src/index.js';

/** Options of {@link meetingMinutesPipeline}. */
export interface MeetingMinutesPipelineOptions {
  db: Database;
  /** A recording (mp3, m4a, wav, ...) or a transcript (vtt, srt, txt). */
  input: string;
  /** @default the current folder */
  out?: string;
}

/** Transcribe or read, write the minutes, render them, and store the meeting for search. */
export async function meetingMinutesPipeline(options: MeetingMinutesPipelineOptions): Promise<{ record: MeetingRecord; files: PlannedOutput[] }> {
  const { db, input } = options;
  const { provider } = defaultProvider();
  const transcription = resolveTranscriptionModel(provider);
  const transcript = await readTranscript(input, transcription ? { transcription } : {});
  const title = path.basename(input, path.extname(input));
  const written = await writeMinutes(transcript, { chat: resolveChatModel(provider), title });
  const url = pathToFileURL(path.resolve(input)).href;
  const { template } = written;
  const record: MeetingRecord = { title, source: url, transcript, minutes: written.minutes, template: template.name, layout: template.layout, generator: written.generator, createdAt: new Date() };
  const files = await writeOutputs(record, planOutputs({ input, out: options.out ?? '.', formats: ['md', 'docx'] }));
  await ingestMeeting({ db, embedding: resolveEmbeddingModel(provider), transcript, url, title });
  return { record, files };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [input, out] = process.argv.slice(2);
  if (!input) {
    console.error('usage: node dist/pipelines/meeting-minutes.js <recording-or-transcript> [out-folder]');
    process.exit(2);
  }
  const db = await openDatabase();
  try {
    const { files } = await meetingMinutesPipeline({ db, input, ...(out ? { out } : {}) });
    for (const f of files) console.log(`Wrote ${f.path}`);
  } finally {
    await db.close();
  }
}
