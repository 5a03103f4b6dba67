/** A transcript written back out as plain text, SRT or WebVTT, with speakers and times. */
import { formatClock, formatCueTime, type TranscriptSegment } from './transcript.js';

/** Transcript formats ragline writes. */
export type TranscriptOutputFormat = 'txt' | 'srt' | 'vtt';

const label = (seg: TranscriptSegment) => (seg.speaker ? `${seg.speaker}: ` : seg.speakerChange ? '>> ' : '');

/** `[00:12:34] Jane Doe: text`, one segment a line. */
export function toTxt(segments: readonly TranscriptSegment[]): string {
  return segments.map((s) => `[${formatClock(s.start)}] ${label(s)}${s.text}`).join('\n') + '\n';
}

/** SubRip: numbered cues, comma milliseconds, `Name: text`. */
export function toSrt(segments: readonly TranscriptSegment[]): string {
  return segments.map((s, i) => `${i + 1}\n${formatCueTime(s.start, ',')} --> ${formatCueTime(s.end, ',')}\n${label(s)}${s.text}\n`).join('\n');
}

const escapeVtt = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** WebVTT: speakers as voice spans (`<v Jane Doe>`), as Teams writes them; `>>` kept for unnamed turns. */
export function toVtt(segments: readonly TranscriptSegment[]): string {
  const cues = segments.map((s) => {
    const text = s.speaker ? `<v ${escapeVtt(s.speaker)}>${escapeVtt(s.text)}</v>` : `${s.speakerChange ? '&gt;&gt; ' : ''}${escapeVtt(s.text)}`;
    return `${formatCueTime(s.start)} --> ${formatCueTime(s.end)}\n${text}\n`;
  });
  return `WEBVTT\n\n${cues.join('\n')}`;
}

/** The transcript in one of the output formats. */
export function writeTranscript(segments: readonly TranscriptSegment[], format: TranscriptOutputFormat): string {
  return format === 'txt' ? toTxt(segments) : format === 'srt' ? toSrt(segments) : toVtt(segments);
}
