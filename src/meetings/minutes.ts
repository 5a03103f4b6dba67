/**
 * Meeting minutes as plain data shaped by their template's JSON schema, and the checks every model
 * reply passes before it becomes minutes: nothing unverifiable is kept — an owner, due date, mover,
 * seconder, date or vote count the transcript never says becomes null, and a transcript time outside
 * the stretch of meeting it came from becomes null.
 */
import { parseClock, formatClock } from './transcript.js';
import { GENERAL_SCHEMA, type JsonSchema } from './template-schemas.js';

/** Minutes: the fields of their template's schema (`abstract_summary`, `motions`, `action_items`, ...). */
export type Minutes = Record<string, unknown>;

/** Something someone agreed to do (the `action_items` of every built-in template). */
export interface ActionItem {
  task: string;
  /** Who will do it, only when the meeting says so; otherwise null. */
  owner: string | null;
  /** When it is due, as the meeting says it ("Friday", "March 3"); otherwise null. */
  due_date: string | null;
  /** Where in the meeting it was agreed, `hh:mm:ss`; null when unknown. */
  timestamp: string | null;
}

/** A decision and where in the meeting it was made. */
export interface Decision {
  text: string;
  timestamp: string | null;
}

/** A motion put to a vote (`council`, `board`). */
export interface Motion {
  text: string;
  mover: string | null;
  seconder: string | null;
  /** Votes as counted aloud; all null for a voice vote. */
  tally: { yes: number | null; no: number | null; abstain: number | null; absent: number | null };
  result: 'carried' | 'failed' | 'tabled' | 'withdrawn' | null;
  timestamp: string | null;
}

/** The meeting's overall tone (`general`, `retro`). */
export interface Sentiment {
  label: 'positive' | 'neutral' | 'negative' | 'mixed';
  explanation: string;
}

/** The JSON schema of the `general` template's minutes. */
export const MINUTES_SCHEMA: JsonSchema = GENERAL_SCHEMA;

/** The items of a list field of the minutes (empty when the template has no such field). */
export function itemsOf<T = unknown>(minutes: Minutes, field: string): T[] {
  const v = minutes[field];
  return Array.isArray(v) ? (v as T[]) : [];
}

/** What a reply is checked against: the transcript text it was written from, and its time span. */
export interface MinutesEvidence {
  /** The transcript text the model saw. */
  text: string;
  /** First and last second of that text. */
  start: number;
  end: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v.replace(/\s+/g, ' ').trim() : '');
const nullable = (v: unknown): string | null => {
  const s = str(v);
  return s && !/^(?:null|none|n\/a|unknown|tbd|unassigned|not (?:specified|stated)|unspecified)$/i.test(s) ? s : null;
};

/** Words of a text, without the `[hh:mm:ss]` times of transcript lines (a time states no number, name or date). */
const words = (s: string) => (s.replace(/\[\d{1,2}:\d{2}:\d{2}\]/g, ' ').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 3 || /\d/.test(w));

/** Whether the transcript says at least one distinctive word of `value` (so it was not made up). */
function stated(value: string, evidence: string): boolean {
  const haystack = new Set(words(evidence));
  return words(value).some((w) => haystack.has(w));
}

const NUMBER_WORDS = 'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty'.split(' ');

/** Whether the transcript says the number `n` (as digits or, up to twenty, as a word). */
function statedNumber(n: number, evidence: string): boolean {
  const said = new Set(words(evidence));
  return said.has(String(n)) || (NUMBER_WORDS[n] !== undefined && said.has(NUMBER_WORDS[n]!));
}

/** Parse a transcript time, keeping it only inside the stretch of meeting it came from. */
function checkTimestamp(value: unknown, evidence?: MinutesEvidence): string | null {
  const s = nullable(value)?.replace(/^\[|\]$/g, '');
  if (!s) return null;
  const seconds = parseClock(s);
  if (seconds === undefined) return null;
  if (evidence && (seconds < Math.floor(evidence.start) - 1 || seconds > evidence.end + 1)) return null;
  return formatClock(seconds);
}

/** Fields whose value must be said in the transcript, and fields that are transcript times. */
const GROUNDED = new Set(['owner', 'due_date', 'due', 'mover', 'seconder', 'date', 'time', 'place', 'candidate']);
const TIMES = new Set(['timestamp', 'adjourned_at']);

const typesOf = (node: JsonSchema): unknown[] => (Array.isArray(node.type) ? node.type : [node.type]);

/** `value` made to fit `node`; `key` is its property name (for the grounding rules). */
function conform(node: JsonSchema, value: unknown, key: string, evidence: MinutesEvidence | undefined): unknown {
  const types = typesOf(node);
  const canBeNull = types.includes('null') || (Array.isArray(node.enum) && node.enum.includes(null));
  if (TIMES.has(key)) return checkTimestamp(value, evidence);
  if (Array.isArray(node.enum)) {
    const s = str(value).toLowerCase();
    const hit = node.enum.find((e) => typeof e === 'string' && e.toLowerCase() === s);
    return hit ?? (canBeNull ? null : node.enum[0]);
  }
  if (types.includes('object')) {
    const obj = isRecord(value) ? value : {};
    const props = isRecord(node.properties) ? node.properties : {};
    return Object.fromEntries(Object.entries(props).map(([k, p]) => [k, conform(isRecord(p) ? p : {}, obj[k], k, evidence)]));
  }
  if (types.includes('array')) {
    const items = isRecord(node.items) ? node.items : {};
    return (Array.isArray(value) ? value : []).map((v) => conform(items, v, key, evidence)).filter((v) => !isEmptyItem(v));
  }
  if (types.includes('integer') || types.includes('number')) {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
    if (!Number.isFinite(n)) return canBeNull ? null : 0;
    // A count the transcript never says was made up.
    return evidence && canBeNull && !statedNumber(n, evidence.text) ? null : n;
  }
  if (types.includes('boolean')) return value === true;
  if (!canBeNull) return str(value);
  const s = nullable(value);
  return s && GROUNDED.has(key) && evidence && !stated(s, evidence.text) ? null : s;
}

/** An item with no text in it: an empty string, or an object whose first text field is empty or that says nothing. */
function isEmptyItem(v: unknown): boolean {
  if (typeof v === 'string') return v === '';
  if (isRecord(v)) {
    const values = Object.values(v);
    return values.find((x) => typeof x === 'string') === '' || values.every((x) => x === null || x === '' || (Array.isArray(x) && x.length === 0));
  }
  return false;
}

/**
 * Turn a model's JSON reply into minutes of `schema` (default: the `general` template's), or throw a
 * `TypeError` naming a missing top-level field. With `evidence`, grounded fields the transcript does
 * not say become null, and times outside its span become null.
 */
export function minutesFromJson(value: unknown, evidence?: MinutesEvidence, schema: JsonSchema = MINUTES_SCHEMA): Minutes {
  if (!isRecord(value)) throw new TypeError('the reply is not a JSON object');
  const props = isRecord(schema.properties) ? schema.properties : {};
  for (const key of Object.keys(props)) if (!(key in value)) throw new TypeError(`the reply has no "${key}"`);
  return conform(schema, value, '', evidence) as Minutes;
}

/**
 * `value` made to fit `schema` without a transcript to check against: fields it lacks become ''
 * (text), [] (lists) or null where null is allowed; fields the schema lacks are left out.
 */
export function conformMinutes(schema: JsonSchema, value: Minutes = {}): Minutes {
  return conform(schema, value, '', undefined) as Minutes;
}
