/**
 * Where the minutes go: `--out` names a file (its extension is the format) or a folder (one file per
 * format, named after the input); `--format` picks the formats.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, describeValue } from '../errors.js';
import { minutesDocx, minutesHtml, minutesJson, minutesMarkdown, type MeetingRecord } from './render-minutes.js';
import { writeTranscript } from './write-transcript.js';
import { speakerTurns } from './transcript-turns.js';

/**
 * Every format ragline writes: minutes as Markdown, JSON, Word or HTML; the transcript as text (in
 * speaker turns), SRT or WebVTT (caption cues, with their timing).
 */
export const OUTPUT_FORMATS = ['md', 'json', 'docx', 'html', 'txt', 'srt', 'vtt'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Parse `md,json,docx`; throws `ConfigError` naming an unknown format. */
export function parseFormats(list: string): OutputFormat[] {
  const formats = [...new Set(list.split(',').map((f) => f.trim().toLowerCase().replace(/^\./, '')).filter(Boolean))];
  if (formats.length === 0) throw new ConfigError('format', list, `Expected \`format\` to list formats (${OUTPUT_FORMATS.join(', ')}), got ${describeValue(list)}.`);
  for (const f of formats) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(f)) {
      throw new ConfigError('format', f, `Unknown format "${f}": use ${OUTPUT_FORMATS.join(', ')} (comma-separated).`);
    }
  }
  return formats as OutputFormat[];
}

/** One file to write. */
export interface PlannedOutput {
  format: OutputFormat;
  path: string;
}

/** Options of {@link planOutputs}. */
export interface PlanOutputsOptions {
  /** The input file (or URL): outputs in a folder are named after it. */
  input: string;
  /**
   * A file whose extension is its format, or a folder (created when missing).
   * @default the current folder
   */
  out?: string;
  /**
   * Formats to write.
   * @default the extension of a file `out`, else ['md']
   */
  formats?: readonly OutputFormat[];
}

const extensionFormat = (p: string): OutputFormat | undefined => {
  const ext = path.extname(p).slice(1).toLowerCase();
  return (OUTPUT_FORMATS as readonly string[]).includes(ext) ? (ext as OutputFormat) : undefined;
};

/** The files the options ask for. Throws `ConfigError` when a file `out` and `formats` disagree. */
export function planOutputs(options: PlanOutputsOptions): PlannedOutput[] {
  const out = options.out ?? '.';
  const isFolder = (existsSync(out) && statSync(out).isDirectory()) || /[/\\]$/.test(out) || extensionFormat(out) === undefined;
  if (!isFolder) {
    const format = extensionFormat(out)!;
    const asked = options.formats ?? [format];
    if (asked.length !== 1 || asked[0] !== format) {
      throw new ConfigError('out', out, `\`out\` ${out} is one .${format} file but \`formats\` asks for ${asked.join(',')}: give a folder for several formats, or a file per format.`);
    }
    return [{ format, path: path.resolve(out) }];
  }
  const base = path.basename(options.input.replace(/[?#].*$/, ''), path.extname(options.input.replace(/[?#].*$/, ''))) || 'meeting';
  const input = /^[a-z]+:\/\//i.test(options.input) ? undefined : path.resolve(options.input);
  return (options.formats ?? ['md']).map((format) => {
    let file = path.resolve(out, `${base}.${format}`);
    // Never overwrite the input (minutes of meeting.vtt written as vtt next to it).
    if (file === input) file = path.resolve(out, `${base}.transcript.${format}`);
    return { format, path: file };
  });
}

/** Render one format. */
export async function renderOutput(record: MeetingRecord, format: OutputFormat): Promise<string | Buffer> {
  switch (format) {
    case 'md':
      return minutesMarkdown(record);
    case 'json':
      return minutesJson(record);
    case 'docx':
      return minutesDocx(record);
    case 'html':
      return minutesHtml(record);
    case 'txt':
      return writeTranscript(speakerTurns(record.transcript.segments), 'txt');
    default:
      return writeTranscript(record.transcript.segments, format);
  }
}

/** Write the planned files (creating folders), returning them. */
export async function writeOutputs(record: MeetingRecord, plan: readonly PlannedOutput[]): Promise<PlannedOutput[]> {
  for (const item of plan) {
    await mkdir(path.dirname(item.path), { recursive: true });
    await writeFile(item.path, await renderOutput(record, item.format));
  }
  return [...plan];
}
