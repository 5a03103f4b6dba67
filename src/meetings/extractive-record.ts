/**
 * The record of a formal meeting found by its wording, without a model: attendance from the roll
 * call (a name called with "?", answered "present"/"here"; "X is excused"), the date and time stated
 * near the start, and where the meeting was adjourned.
 */
import { formatClock, type TranscriptSegment } from './transcript.js';

const titleCase = (s: string) => s.toLowerCase().replace(/\b\p{L}/gu, (c) => c.toUpperCase());
const TITLE = String.raw`(?:council ?member|council president|councilor|vice mayor|mayor|president|pro tem|member|commissioner|director|trustee|supervisor|alderman|chair)`;
const CALLED = new RegExp(String.raw`((?:${TITLE}\s+)?[\p{L}'’-]+)\?\s*$`, 'iu');
const EXCUSED = new RegExp(String.raw`((?:${TITLE}\s+)?[\p{L}'’-]+) (?:is|was) (?:excused|absent)\b`, 'giu');
const ANSWER = /^(?:present|here)\b/i;

/** Attendance heard in the roll call: who answered, and who was called excused or absent. */
export function rollCall(segments: readonly TranscriptSegment[]): { present: string[]; absent: string[] } {
  const present: string[] = [];
  const absent: string[] = [];
  const first = segments.findIndex((s) => s.start < 900 && /\broll ?call\b|\bcall the roll\b/i.test(s.text));
  if (first < 0) return { present, absent };
  let called: string | undefined;
  const window = segments.slice(first, first + 60);
  // "X is excused" is often broken across two caption cues: it is looked for in the window's joined text.
  for (const m of window.map((w) => w.text).join(' ').matchAll(EXCUSED)) if (!absent.includes(titleCase(m[1]!))) absent.push(titleCase(m[1]!));
  for (const seg of window) {
    if (called && ANSWER.test(seg.text.trim())) {
      if (!present.includes(called)) present.push(called);
      called = undefined;
      continue;
    }
    const name = CALLED.exec(seg.text)?.[1];
    called = name && !/^(?:you|it|that|roll|call|here|present|right|okay|ok)$/i.test(name) ? titleCase(name) : undefined;
    if (present.length > 0 && /\b(?:\w+) (?:members? )?present\b/i.test(seg.text) && !ANSWER.test(seg.text.trim())) break;
  }
  return { present, absent };
}

const MONTH = '(?:january|february|march|april|may|june|july|august|september|october|november|december)';
// A date after "by", "before", "until" or "due" is a deadline, not the meeting's date.
const DATE = new RegExp(String.raw`(?<!\b(?:by|before|until|due|after|on or before) )\b(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),? )?${MONTH} \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?`, 'i');
const TIME = /\bthe time is (?:now )?(\d{1,2}:\d{2} ?(?:[ap]\.? ?m\.?)?)/i;
const PLACE = /\b(?:in|at) the ([\p{L} .'’-]{2,40}? (?:chamber|chambers|hall|room|auditorium))\b/iu;

/** The date, time and place stated in the first ten minutes, or null each. */
export function meetingDetails(segments: readonly TranscriptSegment[]): { date: string | null; time: string | null; place: string | null } {
  const opening = segments.filter((s) => s.start < 600).map((s) => s.text).join(' ');
  return {
    date: DATE.exec(opening)?.[0] ?? null,
    time: TIME.exec(opening)?.[1] ?? null,
    place: PLACE.exec(opening)?.[1] ?? null,
  };
}

/** Where the meeting was adjourned (`hh:mm:ss`), or null when no adjournment was heard. */
export function adjournedAt(segments: readonly TranscriptSegment[]): string | null {
  const hit = [...segments].reverse().find((s) => /\b(?:is|are|stands?|we're|we are) adjourned\b|\badjourns\b/i.test(s.text));
  return hit ? formatClock(hit.start) : null;
}
