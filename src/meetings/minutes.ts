/**
 * Meeting minutes as plain data, the JSON schema a chat model fills (structured outputs), and the
 * checks every model reply passes before it becomes minutes: nothing unverifiable is kept — an
 * owner or due date the transcript never says becomes null.
 */
import { parseClock, formatClock } from './transcript.js';

/** Something someone agreed to do. */
export interface ActionItem {
  task: string;
  /** Who will do it, only when the meeting says so; otherwise null. */
  owner: string | null;
  /** When it is due, as the meeting says it ("Friday", "March 3"); otherwise null. */
  due_date: string | null;
  /** Where in the meeting it was agreed, `hh:mm:ss`; null when unknown. */
  timestamp: string | null;
}

/** The meeting's overall tone. */
export interface Sentiment {
  label: 'positive' | 'neutral' | 'negative' | 'mixed';
  /** One or two sentences saying why. */
  explanation: string;
}

/** Minutes of a meeting: the four parts of OpenAI's meeting-minutes tutorial, plus decisions. */
export interface Minutes {
  abstract_summary: string;
  key_points: string[];
  decisions: string[];
  action_items: ActionItem[];
  sentiment: Sentiment;
}

const nullableString = { type: ['string', 'null'] };

/** The JSON schema of {@link Minutes}, strict-mode ready (every property required, no extras). */
export const MINUTES_SCHEMA: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  required: ['abstract_summary', 'key_points', 'decisions', 'action_items', 'sentiment'],
  properties: {
    abstract_summary: { type: 'string', description: 'A concise abstract paragraph of the meeting.' },
    key_points: { type: 'array', items: { type: 'string' }, description: 'The main points discussed, one sentence each.' },
    decisions: { type: 'array', items: { type: 'string' }, description: 'Decisions the meeting made, one sentence each.' },
    action_items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['task', 'owner', 'due_date', 'timestamp'],
        properties: {
          task: { type: 'string' },
          owner: { ...nullableString, description: 'Who will do it, only if the transcript says; else null.' },
          due_date: { ...nullableString, description: 'When it is due, only if the transcript says; else null.' },
          timestamp: { ...nullableString, description: 'The [hh:mm:ss] of the line where it was agreed.' },
        },
      },
    },
    sentiment: {
      type: 'object',
      additionalProperties: false,
      required: ['label', 'explanation'],
      properties: {
        label: { type: 'string', enum: ['positive', 'neutral', 'negative', 'mixed'] },
        explanation: { type: 'string' },
      },
    },
  },
};

/** The part of the minutes a reduce step writes from partial minutes. */
export const SUMMARY_SCHEMA: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  required: ['abstract_summary', 'key_points', 'sentiment'],
  properties: {
    abstract_summary: (MINUTES_SCHEMA.properties as Record<string, unknown>).abstract_summary,
    key_points: (MINUTES_SCHEMA.properties as Record<string, unknown>).key_points,
    sentiment: (MINUTES_SCHEMA.properties as Record<string, unknown>).sentiment,
  },
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : '');
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str).filter(Boolean) : []);
const nullable = (v: unknown): string | null => {
  const s = str(v);
  return s && !/^(?:null|none|n\/a|unknown|tbd|unassigned|not specified|unspecified)$/i.test(s) ? s : null;
};

/** What a reply is checked against: the transcript text it was written from, and its time span. */
export interface MinutesEvidence {
  /** The transcript text the model saw. */
  text: string;
  /** First and last second of that text. */
  start: number;
  end: number;
}

const words = (s: string) => (s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 3 || /\d/.test(w));

/** Whether the transcript says at least one distinctive word of `value` (so it was not made up). */
function stated(value: string, evidence: string): boolean {
  const haystack = new Set(words(evidence));
  const needles = words(value);
  return needles.length > 0 && needles.some((w) => haystack.has(w));
}

/** Parse an action item's time, keeping it only inside the stretch of meeting it came from. */
function checkTimestamp(value: unknown, evidence?: MinutesEvidence): string | null {
  const s = nullable(value)?.replace(/^\[|\]$/g, '');
  if (!s) return null;
  const seconds = parseClock(s);
  if (seconds === undefined) return null;
  if (evidence && (seconds < Math.floor(evidence.start) - 1 || seconds > evidence.end + 1)) return null;
  return formatClock(seconds);
}

/**
 * Turn a model's JSON reply into minutes, or throw a `TypeError` saying what is missing. With
 * `evidence`, owners and due dates the transcript does not mention become null, and timestamps
 * outside its span become null.
 */
export function minutesFromJson(value: unknown, evidence?: MinutesEvidence): Minutes {
  if (!isRecord(value)) throw new TypeError('the reply is not a JSON object');
  for (const key of ['abstract_summary', 'key_points', 'decisions', 'action_items', 'sentiment']) {
    if (!(key in value)) throw new TypeError(`the reply has no "${key}"`);
  }
  const sentiment = isRecord(value.sentiment) ? value.sentiment : {};
  const label = str(sentiment.label).toLowerCase();
  const actions = Array.isArray(value.action_items) ? value.action_items.filter(isRecord) : [];
  return {
    abstract_summary: str(value.abstract_summary),
    key_points: strings(value.key_points),
    decisions: strings(value.decisions),
    action_items: actions
      .map((a) => {
        const owner = nullable(a.owner);
        const due = nullable(a.due_date);
        return {
          task: str(a.task),
          owner: owner && (!evidence || stated(owner, evidence.text)) ? owner : null,
          due_date: due && (!evidence || stated(due, evidence.text)) ? due : null,
          timestamp: checkTimestamp(a.timestamp, evidence),
        };
      })
      .filter((a) => a.task),
    sentiment: {
      label: (['positive', 'neutral', 'negative', 'mixed'] as const).find((l) => l === label) ?? 'neutral',
      explanation: str(sentiment.explanation),
    },
  };
}
