/**
 * Caption fragments merged into speaker turns, so a transcript reads as paragraphs: a new turn at
 * every change of speaker (named, or `>>` in broadcast captions); within one speaker, or in
 * captions that name nobody, a new paragraph where a sentence ends after a pause or after enough
 * words, and in any case before a paragraph grows past `maxWords`.
 */
import type { TranscriptSegment } from './transcript.js';

/** Options of {@link speakerTurns}. */
export interface SpeakerTurnOptions {
  /** Words after which a paragraph ends at the next sentence end. @default 80 */
  paragraphWords?: number;
  /** A silence (seconds) after a sentence end that ends a paragraph. @default 1.5 */
  pause?: number;
  /** Words after which a paragraph ends at the next fragment, sentence end or not. @default 250 */
  maxWords?: number;
}

const SENTENCE_END = /[.!?…]["'”’)\]]*$/;

/** The segments merged into turns (see the module comment); times span the merged fragments. */
export function speakerTurns(segments: readonly TranscriptSegment[], options: SpeakerTurnOptions = {}): TranscriptSegment[] {
  const { paragraphWords = 80, pause = 1.5, maxWords = 250 } = options;
  const turns: TranscriptSegment[] = [];
  let cur: TranscriptSegment | undefined;
  let words = 0;
  for (const seg of segments) {
    const n = seg.text.split(/\s+/).filter(Boolean).length;
    if (cur) {
      const newSpeaker = seg.speakerChange === true || seg.speaker !== cur.speaker;
      const sentenceDone = SENTENCE_END.test(cur.text);
      const paragraphDone = sentenceDone && (seg.start - cur.end >= pause || words >= paragraphWords);
      if (newSpeaker || paragraphDone || words + n > maxWords) {
        turns.push(cur);
        cur = undefined;
      } else {
        cur.text += ` ${seg.text}`;
        cur.end = Math.max(cur.end, seg.end);
        words += n;
        continue;
      }
    }
    cur = { ...seg };
    words = n;
  }
  if (cur) turns.push(cur);
  return turns;
}
