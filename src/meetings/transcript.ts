/**
 * A meeting's transcript as plain data: timed segments, each optionally with its speaker. Parsers
 * (WebVTT, SRT, plain text) and the transcriber produce it; minutes, renderers and the passage
 * builder consume it.
 */

/** One timed piece of what was said. */
export interface TranscriptSegment {
  /** Start, in seconds from the start of the meeting. */
  start: number;
  /** End, in seconds from the start of the meeting (≥ `start`). */
  end: number;
  /** The speaker, when the source names one (Teams `<v Name>`, Zoom `Name: text`). */
  speaker?: string;
  /**
   * True where the source marks a change of speaker without naming the speaker (`>>` in
   * broadcast captions). No name is ever made up for such a turn.
   */
  speakerChange?: boolean;
  /** What was said, as one line of plain text (no markup, entities decoded). */
  text: string;
}

/** Where a transcript came from. */
export type TranscriptFormat = 'vtt' | 'srt' | 'text' | 'audio';

/** A whole transcript. */
export interface Transcript {
  /** Segments in time order. */
  segments: TranscriptSegment[];
  format: TranscriptFormat;
  /**
   * `exact` when every segment carries real times (captions, audio); `estimated` when the source
   * had no times and they were estimated from the word count at 150 words a minute.
   */
  timing: 'exact' | 'estimated';
  /** End of the last segment, in seconds. */
  duration: number;
  /** What parsing left out, one line each (e.g. caption cues without a valid timing line). */
  warnings?: string[];
}

/** `754.2` → `00:12:34`. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A clock time as captions write it, with milliseconds: `00:12:34.200` (or `,200` for SRT). */
export function formatCueTime(seconds: number, separator: '.' | ',' = '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  return `${formatClock(Math.floor(ms / 1000))}${separator}${String(ms % 1000).padStart(3, '0')}`;
}

/**
 * Parse a clock time: `hh:mm:ss.mmm`, `mm:ss.mmm`, `hh:mm:ss,mmm` (SRT), `h:mm:ss`, `m:ss`.
 * Returns undefined when `text` is not a clock time.
 */
export function parseClock(text: string): number | undefined {
  const m = /^(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const [, h, mm, ss, frac] = m;
  if (Number(ss) >= 60 || (h !== undefined && Number(mm) >= 60)) return undefined;
  return Number(h ?? 0) * 3600 + Number(mm) * 60 + Number(ss) + (frac ? Number(frac.padEnd(3, '0')) / 1000 : 0);
}

/** The transcript's text, segment after segment, with speaker labels where they change. */
export function transcriptText(segments: readonly TranscriptSegment[]): string {
  const lines: string[] = [];
  let speaker: string | undefined;
  let line = '';
  for (const seg of segments) {
    const turn = (seg.speaker !== undefined && seg.speaker !== speaker) || seg.speakerChange;
    if (turn && line) {
      lines.push(line);
      line = '';
    }
    if (seg.speaker !== undefined && seg.speaker !== speaker) line = `${seg.speaker}: `;
    else if (seg.speakerChange && !line) line = '>> ';
    speaker = seg.speaker ?? speaker;
    line += (line && !line.endsWith(' ') ? ' ' : '') + seg.text;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
