import { existsSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { meetingMinutes } from '../meetings/meeting-minutes.js';
import { isAudioFile } from '../meetings/read-transcript.js';
import { describeModels, resolveChatModel, resolveTranscriptionModel } from '../models/resolve.js';
import { chatCapabilities } from '../models/capabilities.js';
import { parseFormats, planOutputs, writeOutputs, type OutputFormat } from '../meetings/write-outputs.js';
import { formatClock } from '../meetings/transcript.js';
import { MINUTES_TEMPLATES } from '../meetings/templates.js';
import type { Minutes } from '../meetings/minutes.js';
import { ConfigError } from '../errors.js';
import { ingestEmbeddingModel } from './ingest-command.js';
import { MINUTES_DEFAULTS } from '../options/defaults.js';
import { addModelOptions, modelSelection, parseInteger, status, withDatabase, withDefault, type ModelFlags } from './context.js';
import { resolvePath, type CliIo } from './io.js';
import type { Database } from '../store/database.js';

interface MinutesFlags extends ModelFlags {
  out?: string;
  format?: OutputFormat[];
  template?: string;
  speakers?: string[];
  instructions?: string;
  title?: string;
  collection: string;
  store: boolean;
  chunkTokens?: number;
  reserveOutputTokens?: number;
  transcriptionModel?: string;
  language?: string;
  vocabulary?: string;
  concurrency: number;
  json?: boolean;
}

/** `"Ana Ruiz, Ben Ode"` → the names; an empty list is a `ConfigError`. */
function parseSpeakers(value: string): string[] {
  const names = value.split(/[,;\n]/).map((n) => n.trim()).filter(Boolean);
  if (names.length === 0) throw new ConfigError('speakers', value, 'Expected `--speakers` to name the voices, comma-separated ("Name A, Name B").');
  return names;
}

/** A built-in template's name as given; a template file's path resolved against the run's folder. */
function templateArgument(io: CliIo, template: string): string {
  if (MINUTES_TEMPLATES.some((t) => t.name === template)) return template;
  const file = resolvePath(io, template);
  // A name that is neither a template nor a file is passed as given, for an error that names it as typed.
  return existsSync(file) ? file : template;
}

/** `3 motions, 2 decisions, 4 action items`: the size of each list in the minutes. */
function countsLine(minutes: Minutes): string {
  const lists = Object.entries(minutes).filter((e): e is [string, unknown[]] => Array.isArray(e[1]));
  return lists.map(([k, v]) => `${v.length} ${k.replace(/_/g, ' ')}`).join(', ') || 'no lists';
}

export function minutesCommand(io: CliIo): Command {
  const cmd = new Command('minutes')
    .description('minutes of a meeting from its audio or transcript (vtt, srt, txt), and the meeting made searchable')
    .argument('<input>', 'audio/video (mp3, mp4, m4a, wav, webm, ogg, flac, ...) or a transcript (.vtt, .srt, .txt)')
    .option('-o, --out <path>', 'a file (its extension is the format) or a folder (one file per format); default: the current folder')
    .option('-f, --format <list>', 'formats, comma-separated: md, json, docx, html (minutes); txt (transcript in turns), srt, vtt (caption cues); default md', parseFormats)
    .option('-t, --template <name|file>', `kind of meeting, which sets the minutes' structure: ${MINUTES_TEMPLATES.map((t) => t.name).join(', ')} — or a template file (JSON: name, instructions, schema, layout; or text of instructions)`, 'general')
    .option('--speakers <names>', 'the voices in the meeting, comma-separated ("Name A, Name B"), told to the chat model', parseSpeakers)
    .option('--instructions <text>', 'further instructions for the minutes')
    .option('--title <title>', "the meeting's title (default: the input's file name)")
    .option('-c, --collection <name>', 'collection the transcript is stored in for search', 'meetings')
    .option('--no-store', 'do not store the transcript for search')
    .option('--chunk-tokens <n>', withDefault('transcript tokens per chat call at most (longer transcripts are map-reduced)', MINUTES_DEFAULTS.maxChunkTokens), parseInteger('chunkTokens', 200))
    .option('--reserve-output-tokens <n>', 'tokens kept for each reply', parseInteger('reserveOutputTokens', 256))
    .option('--transcription-model <id>', 'speech-to-text model (default whisper-1); OPENAI_TRANSCRIPTION_BASE_URL picks another server')
    .option('--language <code>', 'language of the audio (ISO-639-1, e.g. en), when known')
    .option('--vocabulary <words>', 'names and terms the audio uses, to help the transcription spell them')
    .option('--concurrency <n>', 'chat calls and audio pieces in flight at once', parseInteger('concurrency'), MINUTES_DEFAULTS.concurrency)
    .option('--json', 'print a JSON summary of what was done on stdout');
  addModelOptions(cmd, { embedding: true, chat: true });
  return cmd.action(async (given: string, flags: MinutesFlags) => {
    const input = resolvePath(io, given);
    const out = flags.out !== undefined ? resolvePath(io, flags.out) : io.cwd;
    const plan = planOutputs({ input, ...(out !== undefined ? { out } : {}), ...(flags.format ? { formats: flags.format } : {}) });
    const { provider, reason, selection } = modelSelection(io, flags);
    // A chat model that cannot follow the minutes' JSON schema (the offline one) leaves them extractive.
    const chatModel = resolveChatModel(provider, selection);
    const chat = chatCapabilities(chatModel).jsonSchema ? chatModel : undefined;
    const transcription = isAudioFile(input) ? resolveTranscriptionModel(provider, { ...selection, env: io.env, ...(flags.transcriptionModel ? { transcriptionModel: flags.transcriptionModel } : {}) }) : undefined;
    const run = async (db?: Database, signal?: AbortSignal) => {
      const embedding = db ? (await ingestEmbeddingModel(io, db, flags)).model : undefined;
      status(
        io,
        `${describeModels({ ...(embedding ? { embedding } : {}), ...(chat ? { chat } : {}) }, reason)}${chat ? '' : ' — minutes: local/extractive (sentences of the meeting, nothing paraphrased)'}${transcription ? `, transcription ${transcription.provider}/${transcription.modelId}` : ''}`,
      );
      const started = performance.now();
      const result = await meetingMinutes({
        input,
        ...(flags.title ? { title: flags.title } : {}),
        ...(chat ? { chat } : {}),
        template: templateArgument(io, flags.template ?? 'general'),
        ...(flags.instructions ? { instructions: flags.instructions } : {}),
        ...(flags.speakers ? { speakers: flags.speakers } : {}),
        ...(flags.chunkTokens ? { maxChunkTokens: flags.chunkTokens } : {}),
        ...(flags.reserveOutputTokens ? { reserveOutputTokens: flags.reserveOutputTokens } : {}),
        concurrency: flags.concurrency,
        ...(transcription ? { transcription, audio: { concurrency: flags.concurrency, ...(flags.language ? { language: flags.language } : {}), ...(flags.vocabulary ? { prompt: flags.vocabulary } : {}), ...(db ? { pool: db.pool } : {}), onPiece: (e) => status(io, `  audio piece ${e.index + 1}/${e.of} ${formatClock(e.start)}–${formatClock(e.end)}${e.resumed ? ' (already transcribed)' : ''}`) } } : {}),
        ...(db && embedding ? { db, embedding, collection: flags.collection } : {}),
        onCall: (e) => status(io, `  ${e.step} ${e.part}/${e.of}: ${e.promptTokens} prompt + ${e.outputTokens} output tokens, ${e.ms} ms`),
        ...(signal ? { signal } : {}),
      });
      const written = await writeOutputs(result.record, plan);
      const t = result.record.transcript;
      for (const warning of t.warnings ?? []) status(io, `Warning: ${warning}`);
      const ms = Math.round(performance.now() - started);
      status(
        io,
        `Minutes of "${result.record.title}" (${formatClock(t.duration)}, ${t.segments.length} segments, ${result.record.template} template): ${countsLine(result.record.minutes)}` +
          (result.stats.calls ? ` — ${result.stats.chunks} chunk(s), ${result.stats.calls} calls, ${result.stats.promptTokens} prompt + ${result.stats.outputTokens} output tokens` : '') +
          `, ${ms} ms`,
      );
      for (const w of written) status(io, `Wrote ${path.relative(io.cwd ?? process.cwd(), w.path) || w.path}`);
      if (result.ingest) status(io, `Stored ${result.ingest.passages} passages in "${result.ingest.collection}" (${result.ingest.stored} new or changed, ${result.ingest.removed} removed): ragline ask "..." --collection ${result.ingest.collection}`);
      if (flags.json) {
        io.stdout.write(`${JSON.stringify({ title: result.record.title, generator: result.record.generator, duration: t.duration, segments: t.segments.length, stats: result.stats, files: written, ingest: result.ingest ?? null, ms }, null, 2)}\n`);
      }
    };
    if (flags.store) await withDatabase(io, (db, signal) => run(db, signal));
    else await run();
  });
}
