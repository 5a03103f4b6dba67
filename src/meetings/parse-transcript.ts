/**
 * Transcript parsers: WebVTT, SRT and plain text into timed segments, with the speaker cues real
 * exports carry — Teams' voice spans (`<v Jane Doe>`), Zoom's `Jane Doe: text` labels, broadcast
 * captions' `>>` (a change of speaker, unnamed) — and the rest of what real files hold: byte-order
 * marks, cue identifiers and settings, `NOTE`/`STYLE`/`REGION` blocks, markup, HTML entities,
 * Windows line ends.
 */
import { ConfigError, InputError, describeValue } from '../errors.js';
import { parseClock, type Transcript, type TranscriptFormat, type TranscriptSegment } from './transcript.js';

/** Options of {@link parseTranscript}. */
export interface ParseTranscriptOptions {
  /**
   * The format; detected from the content when not given (`WEBVTT` header, SRT timing lines, else
   * plain text).
   */
  format?: Exclude<TranscriptFormat, 'audio'>;
  /**
   * Where the text came from, for error messages.
   * @default 'transcript'
   */
  source?: string;
  /**
   * Words a minute used to estimate times of untimed text.
   * @default 150
   */
  wordsPerMinute?: number;
}

const TIMING = /^\s*((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)(?:\s+(.*))?$/;

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', lrm: '', rlm: '',
  hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”',
};

/** Decode HTML character references (`&gt;`, `&#39;`, `&#x2019;`); unknown ones stay as written. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** The format `text` is in, judged from its content. */
export function detectTranscriptFormat(text: string): Exclude<TranscriptFormat, 'audio'> {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (/^WEBVTT(?:[ \t]|$)/m.test(body.slice(0, 200))) return 'vtt';
  if (/^\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[.,]\d{1,3}\s*-->/m.test(body)) return 'srt';
  if (/^\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->/m.test(body)) return 'vtt';
  return 'text';
}

/** A stretch of a cue's text with one speaker situation. */
interface Run {
  text: string;
  speaker?: string;
  speakerChange?: boolean;
  /** A `Name:` label at the start of the run, accepted only if it looks like a speaker label file-wide. */
  label?: string;
}

const LABEL = /^([\p{L}][\p{L}\p{M}.'’-]*(?:[ \t]+[\p{L}\p{M}.'’()-]+){0,4})[ \t]*:[ \t]+(\S.*)$/u;

function splitLabel(text: string): { label?: string; text: string } {
  const m = LABEL.exec(text);
  if (!m || m[1]!.length > 40 || /^(?:https?|mailto|note|re|fwd?)$/i.test(m[1]!)) return { text };
  return { label: m[1]!.trim(), text: m[2]! };
}

/** The runs of one cue's payload: voice spans, `>>` turns and `Name:` labels split it. */
function cueRuns(payload: string): Run[] {
  const runs: Run[] = [];
  let current: Run = { text: '' };
  const flush = () => {
    if (current.text.trim()) runs.push(current);
  };
  // Voice spans first: `<v Jane Doe>`, `<v.loud Jane Doe>`; `</v>` ends one.
  const parts = payload.replace(/\{\\[^}]*\}/g, '').split(/(<v(?:\.[^\s>]*)?[ \t][^>]*>|<\/v>)/i);
  for (const part of parts) {
    const voice = /^<v(?:\.[^\s>]*)?[ \t]+([^>]*)>$/i.exec(part);
    if (voice) {
      flush();
      current = { text: '', speaker: decodeEntities(voice[1]!.trim()) };
      continue;
    }
    if (/^<\/v>$/i.test(part)) continue;
    const plain = decodeEntities(part.replace(/<[^>]*>/g, ''));
    // `>>` usually opens a line but is seen mid-line too ("...!>> I do apologize").
    for (const rawLine of plain.split(/\n|(?<!>)(?=>{2,})/)) {
      let line = rawLine.trim();
      if (!line) continue;
      const turn = /^>{2,}\s*/.exec(line);
      if (turn) {
        flush();
        line = line.slice(turn[0].length);
        current = { text: '', speakerChange: true };
        if (!line) continue;
      }
      if (!current.text && !current.speaker) {
        const { label, text } = splitLabel(line);
        if (label) {
          if (current.label !== undefined) flush();
          current = { ...current, text: '', label };
          line = text;
        }
      }
      current.text += (current.text ? ' ' : '') + line;
    }
  }
  flush();
  return runs;
}

interface Cue {
  start: number;
  end: number;
  runs: Run[];
}

/** Spread a cue's time over its runs in proportion to their length. */
function cueSegments(cue: Cue, labels: ReadonlySet<string>): TranscriptSegment[] {
  const total = cue.runs.reduce((n, r) => n + r.text.length, 0) || 1;
  let at = cue.start;
  return cue.runs.map((run, i) => {
    const length = ((cue.end - cue.start) * run.text.length) / total;
    const end = i === cue.runs.length - 1 ? cue.end : at + length;
    const accepted = run.label !== undefined && labels.has(run.label);
    const text = run.label !== undefined && !accepted ? `${run.label}: ${run.text}` : run.text;
    const seg: TranscriptSegment = { start: round(at), end: round(end), text: text.replace(/\s+/g, ' ').trim() };
    const speaker = run.speaker ?? (accepted ? run.label : undefined);
    if (speaker) seg.speaker = speaker;
    if (run.speakerChange) seg.speakerChange = true;
    at = end;
    return seg;
  });
}

const round = (s: number) => Math.round(s * 1000) / 1000;

/** Words that open a line with a colon without naming anyone ("Update: ..."). */
const NOT_NAMES = /^(?:note|notes|update|action|action items?|todo|to do|question|answer|agenda|summary|decision|reminder|fyi|ps|p\.s\.|edit|warning|important|tip|source|re|subject|topic|item|next steps?)$/i;

/**
 * `Name:` labels count as speakers when the file uses them as such: a label seen at least twice,
 * or, in a file where most runs are labelled (Zoom), a one-off label that is not a common note word.
 * A one-off "Update: ..." stays text.
 */
function speakerLabels(runs: readonly Run[]): Set<string> {
  const counts = new Map<string, number>();
  for (const r of runs) if (r.label !== undefined) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  const labelled = [...counts.values()].reduce((a, b) => a + b, 0);
  const mostly = runs.length > 0 && labelled / runs.length >= 0.5;
  return new Set([...counts].filter(([label, n]) => n >= 2 || (mostly && !NOT_NAMES.test(label))).map(([l]) => l));
}

/** Carry a named speaker over unlabelled continuation; join exact repeats of roll-up captions. */
function finish(segments: TranscriptSegment[]): TranscriptSegment[] {
  const out: TranscriptSegment[] = [];
  let speaker: string | undefined;
  for (const seg of segments) {
    if (!seg.text) continue;
    if (seg.speakerChange) speaker = seg.speaker;
    else if (seg.speaker) speaker = seg.speaker;
    else if (speaker) seg.speaker = speaker;
    const prev = out.at(-1);
    if (prev && prev.text === seg.text && prev.speaker === seg.speaker && !seg.speakerChange && seg.start <= prev.end + 1) {
      prev.end = Math.max(prev.end, seg.end);
      continue;
    }
    out.push(seg);
  }
  return out;
}

/** A blank-line separated block of a caption file, with the line number (from 1) it starts on. */
interface Block {
  line: number;
  lines: string[];
}

function blocksOf(text: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') current = undefined;
    else if (current) current.lines.push(line);
    else blocks.push((current = { line: i + 1, lines: [line] }));
  }
  return blocks;
}

/** The cues of a caption file, and the line numbers of the blocks that looked like cues but could not be read. */
function parseCues(text: string, format: 'vtt' | 'srt'): { cues: Cue[]; skippedLines: number[] } {
  const cues: Cue[] = [];
  const skippedLines: number[] = [];
  for (const [index, { line, lines }] of blocksOf(text).entries()) {
    if (format === 'vtt' && index === 0 && /^WEBVTT/.test(lines[0]!)) continue;
    if (format === 'vtt' && /^(?:NOTE|STYLE|REGION)(?:[ \t]|$)/.test(lines[0]!)) continue;
    const t = lines.findIndex((l) => TIMING.test(l));
    // A cue is an optional identifier line, the timing line, then the payload; anything else is skipped.
    const m = t >= 0 && t <= 1 ? TIMING.exec(lines[t]!)! : undefined;
    const start = m && parseClock(m[1]!);
    const end = m && parseClock(m[2]!);
    if (start === undefined || end === undefined) {
      skippedLines.push(line);
      continue;
    }
    const runs = cueRuns(lines.slice(t + 1).join('\n'));
    if (runs.length > 0) cues.push({ start, end: Math.max(start, end), runs });
  }
  return { cues, skippedLines };
}

/** The warning for the cues a caption file lost, if it lost any. */
function skippedCuesWarning(source: string, parsed: { cues: Cue[]; skippedLines: number[] }): string[] {
  const { cues, skippedLines } = parsed;
  if (skippedLines.length === 0) return [];
  const total = cues.length + skippedLines.length;
  const where = skippedLines.length === 1 ? `line ${skippedLines[0]}` : `lines ${skippedLines.join(', ')}`;
  return [
    `${source}: skipped ${skippedLines.length} of ${total} cues without a valid timing line ("00:00:01.000 --> 00:00:03.000" on the cue's first or second line), at ${where}.`,
  ];
}

function fromCues(cues: Cue[]): TranscriptSegment[] {
  const labels = speakerLabels(cues.flatMap((c) => c.runs));
  return finish(cues.flatMap((c) => cueSegments(c, labels)));
}

/** Parse WebVTT captions into segments (cues that cannot be read are left out; `parseTranscript` warns of them). */
export function parseVtt(text: string): TranscriptSegment[] {
  return fromCues(parseCues(text, 'vtt').cues);
}

/** Parse SubRip (SRT) subtitles into segments (cues that cannot be read are left out; `parseTranscript` warns of them). */
export function parseSrt(text: string): TranscriptSegment[] {
  return fromCues(parseCues(text, 'srt').cues);
}

const CLOCK = String.raw`(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?`;
/** `[00:01:02] rest`, `(1:02) rest`, `00:01:02 - rest`, `00:01:02 rest`. */
const LEADING_TIME = new RegExp(String.raw`^[\[(]?(${CLOCK})[\])]?\s*(?:[-–—|]\s*)?(.*)$`);
/** Teams and Zoom text exports put the speaker and time on a line of their own: `Jane Doe   0:03`, `[Jane Doe] 10:15:32`. */
const HEADER_LINE = new RegExp(String.raw`^\[?([\p{L}][^\[\]\d:]{0,40}?)\]?\s+(${CLOCK})$`, 'u');

/**
 * Parse a plain-text transcript: one utterance per line or paragraph, optionally with a leading
 * time and a `Name:` label, or with speaker-and-time header lines as Teams and Zoom export them.
 * Untimed text gets times estimated from its word count.
 */
export function parsePlainText(text: string, options: Pick<ParseTranscriptOptions, 'wordsPerMinute'> = {}): { segments: TranscriptSegment[]; timed: boolean } {
  const wpm = options.wordsPerMinute ?? 150;
  const items: Array<Run & { at?: number }> = [];
  let pending: { speaker?: string; at?: number } | undefined;
  for (const raw of text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n')) {
    let line = decodeEntities(raw.trim());
    if (!line) {
      continue;
    }
    const header = HEADER_LINE.exec(line);
    if (header && parseClock(header[2]!) !== undefined) {
      pending = { speaker: header[1]!.trim(), at: parseClock(header[2]!)! };
      continue;
    }
    let at: number | undefined;
    const timed = LEADING_TIME.exec(line);
    if (timed && parseClock(timed[1]!) !== undefined && timed[2]) {
      at = parseClock(timed[1]!);
      line = timed[2];
    }
    if (pending) {
      const item: Run & { at?: number } = { text: line };
      if (pending.speaker) item.speaker = pending.speaker;
      if (pending.at !== undefined) item.at = pending.at;
      items.push(item);
      pending = undefined;
      continue;
    }
    const runs = cueRuns(line);
    runs.forEach((run, i) => items.push(i === 0 && at !== undefined ? { ...run, at } : run));
  }
  const labels = speakerLabels(items);
  const timed = items.length > 0 && items.every((i) => i.at !== undefined);
  const segments: TranscriptSegment[] = [];
  let clock = 0;
  for (const [i, item] of items.entries()) {
    const accepted = item.label !== undefined && labels.has(item.label);
    const words = item.text.split(/\s+/).filter(Boolean).length;
    const start = Math.max(item.at ?? clock, 0);
    const next = items.slice(i + 1).find((n) => n.at !== undefined)?.at;
    const estimatedEnd = start + (words * 60) / wpm;
    const end = next !== undefined && next >= start && items[i + 1]?.at !== undefined ? next : estimatedEnd;
    clock = end;
    const seg: TranscriptSegment = {
      start: round(start),
      end: round(end),
      text: (item.label !== undefined && !accepted ? `${item.label}: ${item.text}` : item.text).replace(/\s+/g, ' ').trim(),
    };
    const speaker = item.speaker ?? (accepted ? item.label : undefined);
    if (speaker) seg.speaker = speaker;
    if (item.speakerChange) seg.speakerChange = true;
    segments.push(seg);
  }
  return { segments: finish(segments), timed };
}

/**
 * Parse a transcript in any supported format. Throws `InputError` when it holds no text (an empty
 * file, captions without cues). Caption blocks that cannot be read as cues (no timing line, a bad
 * time) are left out and named, with their line numbers, in `warnings`.
 */
export function parseTranscript(text: string, options: ParseTranscriptOptions = {}): Transcript {
  const source = options.source ?? 'transcript';
  if (options.format !== undefined && !['vtt', 'srt', 'text'].includes(options.format)) {
    throw new ConfigError('format', options.format, `Expected \`format\` to be "vtt", "srt" or "text", got ${describeValue(options.format)}.`);
  }
  const wpm = options.wordsPerMinute ?? 150;
  if (!(wpm > 0)) throw new ConfigError('wordsPerMinute', wpm, `Expected \`wordsPerMinute\` to be a positive number, got ${describeValue(wpm)}.`);
  const format = options.format ?? detectTranscriptFormat(text);
  let segments: TranscriptSegment[];
  let timing: Transcript['timing'] = 'exact';
  let warnings: string[] = [];
  if (format === 'text') {
    const parsed = parsePlainText(text, { wordsPerMinute: wpm });
    segments = parsed.segments;
    if (!parsed.timed) timing = 'estimated';
  } else {
    const parsed = parseCues(text, format);
    segments = fromCues(parsed.cues);
    warnings = skippedCuesWarning(source, parsed);
  }
  if (segments.length === 0) {
    const what = format === 'text' ? 'no text' : `no ${format === 'vtt' ? 'WebVTT' : 'SRT'} cues with text`;
    throw new InputError(source, `The transcript ${source} has ${what}: nothing to make minutes from.`);
  }
  segments.sort((a, b) => a.start - b.start);
  return { segments, format, timing, duration: Math.max(...segments.map((s) => s.end)), ...(warnings.length ? { warnings } : {}) };
}

/** The transcript format a file name implies, if any. */
export function transcriptFormatOf(fileName: string): Exclude<TranscriptFormat, 'audio'> | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (ext === 'vtt') return 'vtt';
  if (ext === 'srt') return 'srt';
  if (ext === 'txt' || ext === 'text' || ext === 'md') return 'text';
  return undefined;
}
