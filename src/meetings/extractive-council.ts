/**
 * The formal parts of a meeting found by their wording, without a model: motions and votes ("I make
 * a motion", "X moves for passage", "seeks suspension of the rules", "seconded", "all in favor",
 * roll-call ayes and nays, "the ayes have it", "the motion carries/passes/fails"), the public-comment
 * stretches (from their announcement to the next item), the roll call, the stated date and time,
 * and the adjournment. The transcript is read as one stream of text, because captions break
 * sentences anywhere and one caption line may close one vote and open the next.
 */
import type { TranscriptSegment } from './transcript.js';
import { formatClock } from './transcript.js';
import type { Motion } from './minutes.js';

/** The transcript as one text, with where each segment starts in it. */
interface Stream {
  text: string;
  offsets: number[];
  segments: readonly TranscriptSegment[];
}

function streamOf(segments: readonly TranscriptSegment[]): Stream {
  let text = '';
  const offsets: number[] = [];
  for (const s of segments) {
    if (text) text += ' ';
    offsets.push(text.length);
    text += s.text;
  }
  return { text, offsets, segments };
}

/** The segment a position of the stream falls in. */
function segmentAt(stream: Stream, index: number): TranscriptSegment {
  let lo = 0;
  let hi = stream.offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (stream.offsets[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return stream.segments[lo]!;
}

type EventKind = 'start' | 'vote' | 'roll' | 'second' | 'result' | 'adjourned';
interface Event {
  kind: EventKind;
  index: number;
  end: number;
  time: number;
  match: RegExpMatchArray;
}

const TITLE = String.raw`(?:council ?(?:or|man|woman|member)|council member|vice mayor|president|commissioner|director|supervisor|alderman|trustee)`;
const PATTERNS: Record<EventKind, RegExp> = {
  start: new RegExp(
    String.raw`\bI(?: would| want to|'d)?(?: like to)? (?:make a motion|move (?:to|that|for|the|we|approval|adoption|passage))\b|\bmotion to (?:approve|adopt|accept|substitute|amend|table|refer|adjourn|reconsider|suspend)\b|\b(?:chair|${TITLE} [a-z'’-]+|she|he) moves\b|\bmoves (?:to|for|that) (?:approve|adopt|accept|the|passage|a passage)\b|\bseeks? (?:the )?(?:suspension of the rules|acceptance)\b|\b(?:the )?suspension of the rules\b|\b(?:we )?(?:will )?take a vote to\b|\bmove for (?:a )?passage\b`,
    'gi',
  ),
  vote: /\b(?:all|those|are those) (?:those )?in favou?r\b/gi,
  roll: /\b(?:call|calling) the roll\b/gi,
  second: /\b(?:I(?:'ll| will)? second|happy to second|second (?:the|that) motion|seconded)\b/gi,
  result: /\bthe (?:ayes|eyes|i's|yeas) have it\b|\bthe (?:nays|noes|no's) have it\b|\bmotion (?:is |was |has )?(?:approved|carries|carried|passes|passed|adopted|fails|failed)\b|\b(?:has|have) been (?:adopted|confirmed|approved|added)\b|\b(?:docket|resolution|item|ordinance|order|file|consent agenda|consent calendar)(?: [\w']+){0,5}? (?:is|has|has been|was) (?:passed|adopted|approved)\b|\b(?:stand|stands) (?:is )?approved\b/gi,
  adjourned: /\b(?:meeting|council|we) (?:is|are|stands) adjourned\b/gi,
};

function eventsOf(stream: Stream, skip: readonly Span[]): Event[] {
  const events: Event[] = [];
  for (const [kind, re] of Object.entries(PATTERNS) as Array<[EventKind, RegExp]>) {
    for (const m of stream.text.matchAll(re)) {
      const time = segmentAt(stream, m.index!).start;
      if (skip.some((s) => time >= s.start && time < s.end)) continue;
      events.push({ kind, index: m.index!, end: m.index! + m[0].length, time, match: m });
    }
  }
  return events.sort((a, b) => a.index - b.index);
}

const NUM: Record<string, number> = Object.fromEntries('zero one two three four five six seven eight nine ten eleven twelve thirteen'.split(' ').map((w, i) => [w, i]));
const num = (w: string | undefined) => (w === undefined ? null : /^\d+$/.test(w) ? Number(w) : (NUM[w.toLowerCase()] ?? null));
const titleCase = (s: string) => s.replace(/\b\p{L}/gu, (c) => c.toUpperCase());

/** A name after a title ("councilmember gallo" → "Gallo"). */
function nameIn(text: string, lead: string): string | null {
  const m = new RegExp(String.raw`${lead}\s*(?:by )?(?:the )?${TITLE}? ?([a-z][a-z'’-]+)`, 'i').exec(text);
  return m && !/^(?:the|a|an|and|to|of|for)$/i.test(m[1]!) ? titleCase(m[1]!) : null;
}

interface OpenMotion {
  start: Event;
  voted?: Event;
  mover: string | null;
  seconder: string | null;
  ayes: number;
  nays: number;
}

/** What the words around a motion say of its mover. */
function moverOf(stream: Stream, start: Event): string | null {
  const said = start.match[0];
  if (/^I\b/i.test(said)) return segmentAt(stream, start.index).speaker ?? null;
  if (/^chair/i.test(said)) return 'the chair';
  const subject = new RegExp(String.raw`(${TITLE}) ([a-z'’-]+)(?: for ${TITLE} [a-z'’-]+)?(?: (?:the )?chair)?\s*$`, 'i').exec(stream.text.slice(Math.max(0, start.index - 60), start.index));
  const own = new RegExp(String.raw`^${TITLE} ([a-z'’-]+) moves`, 'i').exec(said);
  return own ? titleCase(own[1]!) : subject ? titleCase(subject[2]!) : null;
}

/** The motion's wording: from its start to the vote, the end of its sentence or about 240 characters, at word boundaries. */
function motionText(stream: Stream, from: number, to: number): string {
  const sentenceEnd = /[.?!](?:\s|$)/.exec(stream.text.slice(from + 12, to));
  const stop = Math.min(to, sentenceEnd ? from + 12 + sentenceEnd.index : Infinity);
  let t = stream.text.slice(from, Math.min(stop, from + 240)).replace(/\s+/g, ' ').trim();
  if (stop > from + 240) t = `${t.replace(/\s+\S*$/, '')} …`;
  t = t.replace(/[\s,.;:]+(?:all|are|and)?$/i, '').replace(/^(?:and|so|the|that)\s+/i, '');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function close(stream: Stream, open: OpenMotion, result: Event | undefined, out: Motion[]): void {
  // The wording runs to the vote; a question that starts at its vote ("all in favor of adjournment") runs to its result.
  const after = (e: Event | undefined) => (e && e.index > open.start.index ? e.index : undefined);
  const end = after(open.voted) ?? after(result) ?? result?.end ?? open.start.end + 200;
  const tallyText = result ? stream.text.slice(result.index, result.index + 120) : '';
  const count = (re: RegExp) => num(re.exec(tallyText)?.[1]);
  const said = result?.match[0].toLowerCase() ?? '';
  out.push({
    text: motionText(stream, open.start.index, end),
    mover: open.mover,
    seconder: open.seconder,
    tally: {
      yes: count(/\b(\w+) (?:ayes|yeas|yes votes)\b/i) ?? (open.ayes || null),
      no: count(/\b(\w+) (?:noes|nays|no votes)\b/i) ?? (open.nays || null),
      abstain: count(/\b(\w+) abstentions?\b/i),
      absent: count(/\b(\w+) (?:excused|absent)\b/i),
    },
    result: !result ? null : /fail|nays|noes|no's/.test(said) ? 'failed' : 'carried',
    timestamp: formatClock(segmentAt(stream, open.start.index).start),
  });
}

/** A stretch of the meeting, in seconds. */
export interface Span {
  start: number;
  end: number;
}

/** Motions in meeting order, found by their wording outside the `skip` stretches (public comment). */
export function findMotions(segments: readonly TranscriptSegment[], skip: readonly Span[] = []): Motion[] {
  const stream = streamOf(segments);
  const out: Motion[] = [];
  let open: OpenMotion | undefined;
  let lastResult = -Infinity;
  let lastEnd = 0;
  for (const ev of eventsOf(stream, skip)) {
    if (ev.kind === 'start') {
      // A motion restated before its vote ("seeks suspension of the rules ... passage") is one motion.
      if (open && !open.voted && ev.time - open.start.time < 30) continue;
      if (open && (open.voted || open.seconder)) close(stream, open, undefined, out);
      open = { start: ev, mover: null, seconder: null, ayes: 0, nays: 0 };
      open.mover = moverOf(stream, ev);
    } else if (ev.kind === 'vote' || (ev.kind === 'roll' && open)) {
      open ??= { start: questionStart(stream, ev, lastEnd), mover: null, seconder: null, ayes: 0, nays: 0 };
      open.voted ??= ev;
      if (ev.kind === 'roll') countRoll(stream, ev, open);
    } else if (ev.kind === 'second' && open) {
      open.seconder ??= segmentAt(stream, ev.index).speaker ?? nameIn(stream.text.slice(ev.index, ev.end + 40), 'seconded') ?? null;
    } else if (ev.kind === 'adjourned') {
      // Adjourning closes a motion to adjourn; said alone, it is no motion.
      if (open?.voted) close(stream, open, ev, out);
      open = undefined;
    } else if (ev.kind === 'result') {
      // "The ayes have it. The appointment has been confirmed." is one result.
      if (!open && ev.time - lastResult < 15) continue;
      if (!open) {
        const start = questionStart(stream, ev, lastEnd);
        // A result with no question or vote before it (the tail of one heard earlier) is no motion of its own.
        if (start.index === ev.index) continue;
        open = { start, mover: null, seconder: null, ayes: 0, nays: 0 };
      }
      const span = stream.text.slice(open.start.index, ev.index);
      open.mover ??= nameIn(span, 'moved by');
      open.seconder ??= nameIn(span, 'seconded by');
      close(stream, open, ev, out);
      open = undefined;
      lastResult = ev.time;
      lastEnd = ev.end;
    }
  }
  if (open && (open.voted || open.seconder)) close(stream, open, undefined, out);
  return out;
}

const QUESTION = /\b(?:the )?(?:suspension of the rules|passage|adoption|acceptance|approv\w*|confirm\w*|adding|adjourn\w*)\b/gi;

/**
 * Where a question put to a vote without a motion's wording starts ("all those in favor of adding
 * the late files", "... passage of docket 0690, all those in favor"): the first words of a question
 * in the 200 characters before the vote and after the last result, else the vote itself.
 */
function questionStart(stream: Stream, vote: Event, after: number): Event {
  const from = Math.max(after, vote.index - 200);
  const window = stream.text.slice(from, vote.index);
  const hit = [...window.matchAll(QUESTION)][0];
  const index = hit ? from + hit.index! : vote.index;
  return { ...vote, index, time: segmentAt(stream, index).start };
}

/** Ayes and nays of a roll call: the short answers after "call the roll", up to the next result. */
function countRoll(stream: Stream, ev: Event, open: OpenMotion): void {
  const from = stream.segments.indexOf(segmentAt(stream, ev.index));
  for (const seg of stream.segments.slice(from + 1, from + 60)) {
    if (PATTERNS.result.test(seg.text)) {
      PATTERNS.result.lastIndex = 0;
      break;
    }
    PATTERNS.result.lastIndex = 0;
    if (/^(?:aye|yes|yea)\b[.!]?$/i.test(seg.text.trim())) open.ayes++;
    else if (/^(?:no|nay)\b[.!]?$/i.test(seg.text.trim())) open.nays++;
  }
}

const PUBLIC_OPEN = /\b(?:start|begin|open|opening|now (?:have|take|hear)|move to|go to|on to|time for)(?: with)? (?:the )?(?:public comment|open forum|public testimony)\b|\b(?:we are now at|now at) (?:the )?(?:open forum|public comment)\b|\bpublic comment (?:period )?(?:is (?:now )?open|will begin)\b/i;
const PUBLIC_CLOSE = /\b(?:clos(?:e|es|ed|ing) (?:the )?public comment|concludes? (?:the )?public comment|(?:that|this) (?:was|is|concludes) (?:the|our) (?:last|final) speaker|no (?:other|more|new|further) (?:hands|speakers)|(?:go(?:ing)?|mov(?:e|ing)|on|op) (?:on )?to (?:our |the )?(?:consent calendar|consent agenda|next item|item \d|agenda)|public comment is (?:now )?closed)\b/i;

/**
 * The public-comment stretches: from an announcement ("start public comment", "we are now at open
 * forum") to the next close ("that was the last speaker", "go to our consent calendar") or the
 * meeting's end.
 */
export function publicCommentSpans(segments: readonly TranscriptSegment[]): Span[] {
  const spans: Span[] = [];
  let open: number | undefined;
  let before = '';
  for (const seg of segments) {
    // Captions break phrases across cues: the announcement is looked for in this cue and the one before.
    const said = `${before} ${seg.text}`;
    before = seg.text;
    if (open === undefined && PUBLIC_OPEN.test(said) && !PUBLIC_CLOSE.test(said.slice(said.search(PUBLIC_OPEN)))) open = seg.start;
    else if (open !== undefined && PUBLIC_CLOSE.test(seg.text)) {
      // The closing words are the chair's, not the public's: the stretch ends where they begin.
      spans.push({ start: open, end: seg.start });
      open = undefined;
    }
  }
  if (open !== undefined) spans.push({ start: open, end: segments.at(-1)?.end ?? open });
  return spans;
}
