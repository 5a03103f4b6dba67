/**
 * Offline minutes, for when no chat model is configured: extractive, so every sentence in them is
 * a sentence of the transcript — nothing is paraphrased or invented.
 * - key points: the most central sentences (highest summed term overlap with the rest of the
 *   meeting, TextRank-like), in meeting order;
 * - abstract summary: the three most central sentences;
 * - decisions: sentences in decision language ("we decided", "agreed", "the motion carries");
 * - action items: sentences of commitment ("I'll", "X will", "needs to"); the owner is the speaker
 *   of an "I" sentence or the person named as its subject, the due date a stated time ("by Friday"),
 *   both null otherwise;
 * - sentiment: a count of positive and negative words from a small lexicon, explained as such;
 * - motions, the roll call, date, time and adjournment by their wording (extractive-council.ts,
 *   extractive-record.ts); agenda items where the chair or clerk announces one ("we're on to",
 *   "item 2", "docket number"); per-person updates for a stand-up.
 * Nothing said during public comment (from its announcement to the next item) becomes a decision,
 * motion or action item. The minutes take the shape of the template's schema: fields the offline
 * writer cannot fill are empty or null, never made up.
 */
import { terms } from '../models/local/terms.js';
import { formatClock, type Transcript } from './transcript.js';
import { conformMinutes, MINUTES_SCHEMA, type ActionItem, type Decision, type Minutes, type Sentiment } from './minutes.js';
import type { JsonSchema } from './template-schemas.js';
import { findMotions, publicCommentSpans, type Span } from './extractive-council.js';
import { adjournedAt, meetingDetails, rollCall } from './extractive-record.js';

/** The id the offline minutes writer reports itself as. */
export const EXTRACTIVE_MINUTES_ID = 'extractive-minutes-v1';

/** A sentence of the transcript with where and by whom it was said. */
interface Sentence {
  text: string;
  start: number;
  speaker?: string;
  terms: string[];
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Sentences of a transcript. Caption fragments are joined within a speaker's turn first, so a
 * sentence broken across cues is one sentence, timed at the cue where it starts.
 */
function sentencesOf(transcript: Transcript): Sentence[] {
  const out: Sentence[] = [];
  let turn: Array<{ text: string; start: number }> = [];
  let speaker: string | undefined;
  const flush = () => {
    if (turn.length === 0) return;
    let text = '';
    const starts: Array<{ at: number; start: number }> = [];
    for (const part of turn) {
      if (text) text += ' ';
      starts.push({ at: text.length, start: part.start });
      text += part.text;
    }
    for (const { segment, index } of segmenter.segment(text)) {
      const s = segment.trim();
      if (s.length < 3) continue;
      const start = [...starts].reverse().find((x) => x.at <= index)?.start ?? turn[0]!.start;
      const sentence: Sentence = { text: s, start, terms: terms(s) };
      if (speaker) sentence.speaker = speaker;
      out.push(sentence);
    }
    turn = [];
  };
  for (const seg of transcript.segments) {
    if (seg.speakerChange || seg.speaker !== speaker) {
      flush();
      speaker = seg.speaker;
    }
    turn.push({ text: seg.text, start: seg.start });
  }
  flush();
  return out;
}

function centrality(sentences: readonly Sentence[]): number[] {
  const df = new Map<string, number>();
  for (const s of sentences) for (const t of new Set(s.terms)) df.set(t, (df.get(t) ?? 0) + 1);
  const n = sentences.length;
  // A sentence is central when its terms recur across the meeting, but not in every sentence;
  // dividing by the square root of its length keeps long rambles from winning by size.
  return sentences.map((s) => {
    const unique = new Set(s.terms);
    if (unique.size < 3) return 0;
    let score = 0;
    for (const t of unique) {
      const f = df.get(t) ?? 1;
      if (f > 1) score += (f - 1) * Math.log(1 + n / f);
    }
    return score / Math.sqrt(unique.size) / Math.max(1, n);
  });
}

function overlap(a: readonly string[], b: readonly string[]): number {
  const x = new Set(a);
  const y = new Set(b);
  let shared = 0;
  for (const t of x) if (y.has(t)) shared++;
  const union = x.size + y.size - shared;
  return union === 0 ? 1 : shared / union;
}

function top(sentences: readonly Sentence[], scores: readonly number[], k: number): Sentence[] {
  const order = sentences.map((s, i) => ({ s, score: scores[i]! })).sort((a, b) => b.score - a.score);
  const picked: Sentence[] = [];
  for (const { s, score } of order) {
    if (picked.length >= k || score <= 0) break;
    if (s.text.length > 300 || picked.some((p) => overlap(p.terms, s.terms) >= 0.5)) continue;
    picked.push(s);
  }
  return picked.sort((a, b) => a.start - b.start);
}

const DECISION = /\b(?:we(?:'ve| have)? (?:decided|agreed|resolved|chose|chosen)|(?:it was|we are|we're) (?:decided|agreed)|the decision (?:is|was)|decided to|agreed to|(?:motion|resolution|item|ordinance) (?:carries|carried|passes|passed|is adopted|was adopted|is approved|was approved)|the motion carries|the ayes have it|(?:has been|was|is) (?:duly )?adopted|so ordered|approved unanimously|unanimously approved|let's go with|we(?:'ll| will) go with|consensus (?:is|was))\b/i;
const COMMITMENT = /\b(?:I(?:'ll| will| am going to|'m going to| can take| take)|we(?:'ll| will| need to| are going to|'re going to)|(?:needs?|has) to (?:be done|check|send|write|prepare|follow|review|update|schedule|publish|draft|share|fix|call|email|contact|look)|action item|(?:will|shall) (?:send|write|prepare|follow|check|review|update|schedule|publish|draft|share|fix|resize|call|email|contact|set up|look into))\b/i;
const NAMED_OWNER = /\b([A-Z][a-z]+(?: [A-Z][a-z'’]+)?|[Tt]he (?:clerk|chair|secretary|treasurer)|[Ss]taff)\s+(?:will|is going to|shall|agreed to|offered to)\b/;
const DUE = /\b(?:by|before|on|until|due|no later than)\s+((?:next |this |the end of (?:the )?)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month|quarter|year|tomorrow|tonight|eod|end of (?:day|week|month|quarter))|(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.? \d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:\/|-)\d{1,2}(?:(?:\/|-)\d{2,4})?)\b|\b(tomorrow|this afternoon|tonight|next (?:week|month|monday|tuesday|wednesday|thursday|friday)|end of (?:the )?(?:day|week|month))\b/i;
const NOT_OWNERS = /^(?:It|This|That|There|We|They|He|She|You|Which|What|Who|Everyone|Someone|Nobody|Council|Staff Report)$/;

function actionItem(s: Sentence): ActionItem {
  let owner: string | null = null;
  if (/\bI(?:'ll| will| am going to|'m going to| can take| take)\b/i.test(s.text) && s.speaker) owner = s.speaker;
  const named = NAMED_OWNER.exec(s.text);
  if (!owner && named && !NOT_OWNERS.test(named[1]!)) owner = named[1]!;
  const due = DUE.exec(s.text);
  return { task: s.text, owner, due_date: due ? (due[1] ?? due[2] ?? null) : null, timestamp: formatClock(s.start) };
}

const POSITIVE = new Set('good great excellent happy glad thank thanks appreciate pleased love awesome success successful well progress agree agreed support excited wonderful fantastic congratulations welcome improve improved helpful nice'.split(' '));
const NEGATIVE = new Set('bad problem problems issue issues concern concerns concerned worried worry blocked blocker fail failed failure delay delayed late over unfortunately disappointed difficult angry frustrated frustrating wrong broken risk risks oppose opposed against cut cuts crisis'.split(' '));

function sentiment(sentences: readonly Sentence[]): Sentiment {
  let pos = 0;
  let neg = 0;
  const seen = { pos: new Map<string, number>(), neg: new Map<string, number>() };
  for (const s of sentences) {
    for (const w of s.text.toLowerCase().match(/[a-z']+/g) ?? []) {
      if (POSITIVE.has(w)) {
        pos++;
        seen.pos.set(w, (seen.pos.get(w) ?? 0) + 1);
      } else if (NEGATIVE.has(w)) {
        neg++;
        seen.neg.set(w, (seen.neg.get(w) ?? 0) + 1);
      }
    }
  }
  const topWords = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([w]) => `"${w}"`).join(', ');
  const total = pos + neg;
  const label: Sentiment['label'] = total < 3 ? 'neutral' : pos >= 2 * neg ? 'positive' : neg >= 2 * pos ? 'negative' : 'mixed';
  const explanation =
    total === 0
      ? 'Word count (offline estimate): no words from the positive or negative lexicon were said.'
      : `Word count (offline estimate): ${pos} positive word${pos === 1 ? '' : 's'}${pos ? ` (${topWords(seen.pos)})` : ''} and ${neg} negative word${neg === 1 ? '' : 's'}${neg ? ` (${topWords(seen.neg)})` : ''} in ${sentences.length} sentences.`;
  return { label, explanation };
}

/** Options of {@link extractiveMinutes}. */
export interface ExtractiveMinutesOptions {
  /**
   * Key points to pick.
   * @default between 3 and 10, one per 40 sentences
   */
  keyPoints?: number;
  /** The schema the minutes take (a template's). @default the `general` template's */
  schema?: JsonSchema;
}

const AGENDA = /\b(?:(?:we(?:'re| are)|now) (?:now )?(?:on to|onto|on) (?!the floor|that|it|this)\w|(?:we(?:'re| are)|we will|let's|now) (?:now )?(?:going to )?(?:move|moving|moved|go|going|turn|proceed) (?:on )?to (?:the |our )?(?:motions?|items?|docket|reports|consent|public|open|green|announcements|late|personnel|matters|new|old|next|agenda)|going to item\b|(?:your |the )?next item is\b|item (?:number )?\d+(?:\.\d+)? (?:is|which is)\b)/i;

/** Sentences of meeting procedure ("we will start with public comment", "we'll keep the queue open"): never action items. */
const PROCEDURE = /\b(?:public comment|open forum|the queue|raise your hand|press star|call the roll|roll call|the agenda|consent (?:calendar|agenda)|take a vote|(?:move|moving|go|going) (?:on )?to (?:the |our )?(?:next|item))\b/i;

const inSpans = (t: number, spans: readonly Span[]) => spans.some((s) => t >= s.start && t < s.end);

/** Agenda items where the chair or clerk announces one, with the sentences that follow as their gist. */
function agendaItems(sentences: readonly Sentence[]): Array<{ title: string; summary: string; timestamp: string }> {
  const out: Array<{ title: string; summary: string; timestamp: string }> = [];
  sentences.forEach((s, i) => {
    if (!AGENDA.test(s.text)) return;
    const summary = sentences.slice(i + 1, i + 3).map((x) => x.text).join(' ');
    const title = s.text.length > 200 ? `${s.text.slice(0, 200).replace(/\s+\S*$/, '')} …` : s.text;
    out.push({ title, summary: summary.length > 300 ? `${summary.slice(0, 300).replace(/\s+\S*$/, '')} …` : summary, timestamp: formatClock(s.start) });
  });
  return out;
}

/** A stand-up update per speaker: the first sentences about the past, the plan and blockers. */
function updates(sentences: readonly Sentence[]) {
  const people = [...new Set(sentences.map((s) => s.speaker).filter((p): p is string => p !== undefined))];
  return people.map((person) => {
    const own = sentences.filter((s) => s.speaker === person);
    const find = (re: RegExp) => own.find((s) => re.test(s.text))?.text ?? null;
    return {
      person,
      yesterday: find(/\b(?:yesterday|last week|finished|fixed|done|completed|reviewed|shipped|merged|worked on)\b/i),
      today: find(/\b(?:today|next|I'll|I will|I'm working|going to|plan)\b/i),
      blockers: find(/\b(?:block(?:ed|er|ers)?|stuck|waiting (?:on|for))\b/i),
      timestamp: formatClock(own[0]!.start),
    };
  });
}

/** Minutes of a transcript without a model (see the module comment for how each part is found). */
export function extractiveMinutes(transcript: Transcript, options: ExtractiveMinutesOptions = {}): Minutes {
  const sentences = sentencesOf(transcript);
  const scores = centrality(sentences);
  const k = options.keyPoints ?? Math.min(10, Math.max(3, Math.round(sentences.length / 40)));
  const publicComment = publicCommentSpans(transcript.segments);
  const motions = findMotions(transcript.segments, publicComment);
  const decisions: Decision[] = [];
  const actions: ActionItem[] = [];
  for (const s of sentences) {
    if (s.text.length > 400 || inSpans(s.start, publicComment)) continue;
    if (DECISION.test(s.text)) {
      if (!decisions.some((d) => d.text === s.text)) decisions.push({ text: s.text, timestamp: formatClock(s.start) });
    } else if (COMMITMENT.test(s.text) && !/\?$/.test(s.text) && !PROCEDURE.test(s.text)) {
      if (!actions.some((a) => a.task === s.text)) actions.push(actionItem(s));
    }
  }
  const all: Minutes = {
    abstract_summary: top(sentences, scores, 3).map((s) => s.text).join(' '),
    key_points: top(sentences, scores, k).map((s) => s.text),
    decisions,
    action_items: actions,
    sentiment: sentiment(sentences),
    meeting: meetingDetails(transcript.segments),
    attendees: rollCall(transcript.segments),
    agenda_items: agendaItems(sentences.filter((s) => !inSpans(s.start, publicComment))),
    motions,
    public_comment: publicComment.length ? `Public comment ${publicComment.map((p) => `${formatClock(p.start)}–${formatClock(p.end)}`).join(', ')} (offline minutes do not summarise it).` : null,
    adjourned_at: adjournedAt(transcript.segments),
    updates: updates(sentences),
  };
  return conformMinutes(options.schema ?? MINUTES_SCHEMA, all);
}
