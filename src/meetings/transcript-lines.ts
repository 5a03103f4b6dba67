/**
 * A transcript as the lines a chat model reads — `[00:12:34] Jane Doe: what she said` — one per
 * speaker turn (long turns cut at segment boundaries), and those lines packed into token-bounded
 * chunks for map-reduce.
 */
import type { Tokenizer } from '../models/tokenizer.js';
import { formatClock, type TranscriptSegment } from './transcript.js';

/** One line of transcript for a prompt. */
export interface TranscriptLine {
  start: number;
  end: number;
  speaker?: string;
  /** `[hh:mm:ss] Speaker: text`. */
  text: string;
}

/**
 * Lines of a transcript: a new line at each change of speaker, where a sentence ends after
 * `sentenceWords` words, and in any case after `maxWords` words, at a segment boundary. Short lines
 * keep the times a model can cite close to what was said (a motion 20 s into a line of 60 words
 * would otherwise be cited 20 s early).
 */
export function transcriptLines(segments: readonly TranscriptSegment[], maxWords = 40, sentenceWords = 12): TranscriptLine[] {
  const lines: TranscriptLine[] = [];
  let cur: { start: number; end: number; speaker?: string; change: boolean; parts: string[]; words: number } | undefined;
  const flush = () => {
    if (!cur) return;
    const label = cur.speaker ? `${cur.speaker}: ` : cur.change ? '>> ' : '';
    const line: TranscriptLine = { start: cur.start, end: cur.end, text: `[${formatClock(cur.start)}] ${label}${cur.parts.join(' ')}` };
    if (cur.speaker) line.speaker = cur.speaker;
    lines.push(line);
    cur = undefined;
  };
  for (const seg of segments) {
    const n = seg.text.split(/\s+/).length;
    const sentenceDone = cur !== undefined && cur.words >= sentenceWords && /[.!?…]["'”’)\]]*$/.test(cur.parts.at(-1) ?? '');
    if (cur && (seg.speakerChange || seg.speaker !== cur.speaker || cur.words + n > maxWords || sentenceDone)) flush();
    if (!cur) {
      cur = { start: seg.start, end: seg.end, change: seg.speakerChange === true, parts: [], words: 0 };
      if (seg.speaker) cur.speaker = seg.speaker;
    }
    cur.parts.push(seg.text);
    cur.words += n;
    cur.end = Math.max(cur.end, seg.end);
  }
  flush();
  return lines;
}

/** Lines that fit one prompt. */
export interface TranscriptChunk {
  lines: TranscriptLine[];
  text: string;
  tokens: number;
  start: number;
  end: number;
}

/**
 * Pack lines into chunks of at most `budget` tokens, in order. A line longer than a chunk is cut
 * between words into several lines with the same time, so nothing is ever dropped.
 */
export function chunkTranscriptLines(lines: readonly TranscriptLine[], budget: number, tok: Tokenizer): TranscriptChunk[] {
  const pieces: Array<TranscriptLine & { tokens: number }> = [];
  for (const line of lines) {
    const tokens = tok.count(line.text);
    if (tokens <= budget) {
      pieces.push({ ...line, tokens });
      continue;
    }
    const prefix = /^\[[^\]]*\] (?:[^:]{1,60}: )?/.exec(line.text)?.[0] ?? '';
    let buf = '';
    for (const word of line.text.slice(prefix.length).split(/\s+/)) {
      const next = buf ? `${buf} ${word}` : word;
      if (buf && tok.count(prefix + next) > budget) {
        pieces.push({ ...line, text: prefix + buf, tokens: tok.count(prefix + buf) });
        buf = word;
      } else buf = next;
    }
    if (buf) pieces.push({ ...line, text: prefix + buf, tokens: tok.count(prefix + buf) });
  }
  const chunks: TranscriptChunk[] = [];
  let cur: Array<TranscriptLine & { tokens: number }> = [];
  let used = 0;
  const flush = () => {
    if (cur.length === 0) return;
    const text = cur.map((l) => l.text).join('\n');
    chunks.push({ lines: cur, text, tokens: tok.count(text), start: cur[0]!.start, end: cur.at(-1)!.end });
    cur = [];
    used = 0;
  };
  for (const piece of pieces) {
    if (cur.length > 0 && used + piece.tokens + 1 > budget) flush();
    cur.push(piece);
    used += piece.tokens + 1;
  }
  flush();
  return chunks;
}
