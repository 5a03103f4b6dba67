/**
 * Minutes of consecutive parts of a meeting merged in code, so that no motion, decision or action
 * item is lost in a summary: lists are joined in meeting order without repeats (an item said again
 * in a later part fills in what the first mention left null), attendance is the union, a stated
 * date or place is the first one heard, the adjournment the last. The prose fields — summaries,
 * lists of sentences, the tone — are what a reduce step rewrites from the parts ({@link proseFields}).
 */
import { terms } from '../models/local/terms.js';
import type { JsonSchema } from './template-schemas.js';
import type { ActionItem, Minutes } from './minutes.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const typesOf = (node: JsonSchema): unknown[] => (Array.isArray(node.type) ? node.type : [node.type]);
const propsOf = (node: JsonSchema): Record<string, JsonSchema> => (isRecord(node.properties) ? (node.properties as Record<string, JsonSchema>) : {});

const NUMBER = /^(?:\d+(?:[.,]\d+)*|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand)$/;
const numbersOf = (s: string) => (s.toLowerCase().match(/[\p{L}\p{N}.,]+/gu) ?? []).map((w) => w.replace(/[.,]$/, '')).filter((w) => NUMBER.test(w)).join(' ');

/**
 * Whether two texts say nearly the same thing: the same numbers in the same order (docket 0687 is
 * not docket 0688) and a Jaccard similarity of their terms of at least 0.6.
 */
export function similar(a: string, b: string): boolean {
  if (numbersOf(a) !== numbersOf(b)) return false;
  const x = new Set(terms(a));
  const y = new Set(terms(b));
  let shared = 0;
  for (const t of x) if (y.has(t)) shared++;
  const union = x.size + y.size - shared;
  return union === 0 ? a.trim().toLowerCase() === b.trim().toLowerCase() : shared / union >= 0.6;
}

/** The text an item is known by: itself, or its first text property (`task`, `text`, `title`, `person`). */
function keyOf(item: unknown): string {
  if (typeof item === 'string') return item;
  if (isRecord(item)) return String(Object.values(item).find((v) => typeof v === 'string') ?? '');
  return '';
}

/** Whether two items are one: similar keys (the same numbers in them), and a person, when both name one, named the same. */
function sameItem(a: unknown, b: unknown): boolean {
  if (isRecord(a) && isRecord(b)) {
    for (const k of ['owner', 'person']) {
      if (typeof a[k] === 'string' && typeof b[k] === 'string' && (a[k] as string).toLowerCase() !== (b[k] as string).toLowerCase()) return false;
    }
  }
  const [ka, kb] = [keyOf(a), keyOf(b)];
  return ka.split(/\s+/).length <= 3 || kb.split(/\s+/).length <= 3 ? ka.toLowerCase() === kb.toLowerCase() : similar(ka, kb);
}

/** Fill what `into` leaves null (or empty) from `from`, field by field. */
function fillIn(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if ((cur === null || cur === '' || cur === undefined) && v !== null && v !== undefined) into[k] = v;
    else if (isRecord(cur) && isRecord(v)) fillIn(cur, v);
  }
}

/** Lists joined in order without repeats: the first mention kept, what it left null filled in from a repeat. */
export function mergeLists<T>(lists: readonly T[][]): T[] {
  const out: T[] = [];
  for (const item of lists.flat()) {
    const same = out.find((o) => sameItem(o, item));
    if (!same) out.push(isRecord(item) ? (structuredClone(item) as T) : item);
    else if (isRecord(same) && isRecord(item)) fillIn(same, item);
  }
  return out;
}

/** Action items without repeats: the first mention kept, an owner or due date from a repeat filled in. */
export function mergeActionItems(lists: readonly ActionItem[][]): ActionItem[] {
  return mergeLists(lists);
}

/** Items with a transcript time put in time order among themselves (stably); items without one keep their places. */
function inTimeOrder<T>(items: T[]): T[] {
  const timeOf = (i: T) => (isRecord(i) && typeof i.timestamp === 'string' ? i.timestamp : undefined);
  const slots = items.flatMap((item, n) => (timeOf(item) !== undefined ? [n] : []));
  const sorted = slots.map((n) => items[n]!).sort((a, b) => timeOf(a)!.localeCompare(timeOf(b)!));
  const out = [...items];
  slots.forEach((n, k) => (out[n] = sorted[k]!));
  return out;
}

/** Whether a top-level field is prose the reduce step rewrites: text, a list of sentences, or an object of texts. */
function isProse(node: JsonSchema): boolean {
  const types = typesOf(node);
  if (types.includes('null')) return false;
  if (types.includes('string')) return true;
  if (types.includes('array')) return isRecord(node.items) && typesOf(node.items as JsonSchema).includes('string');
  if (types.includes('object')) return Object.values(propsOf(node)).every((p) => typesOf(p).includes('string') && !typesOf(p).includes('null'));
  return false;
}

/** The fields of `schema` a reduce step writes from the parts' minutes. */
export function proseFields(schema: JsonSchema): string[] {
  return Object.entries(propsOf(schema))
    .filter(([, node]) => isProse(node))
    .map(([k]) => k);
}

/** One field merged across the parts, by its schema (see the module comment). */
function mergeField(node: JsonSchema, key: string, values: unknown[]): unknown {
  const types = typesOf(node);
  if (types.includes('array')) return inTimeOrder(mergeLists(values.map((v) => (Array.isArray(v) ? v : []))));
  if (types.includes('object')) {
    return Object.fromEntries(Object.entries(propsOf(node)).map(([k, p]) => [k, mergeField(p, k, values.map((v) => (isRecord(v) ? v[k] : undefined)))]));
  }
  const given = values.filter((v) => v !== null && v !== undefined && v !== '');
  if (given.length === 0) return values.find((v) => v !== undefined) ?? null;
  if (key === 'adjourned_at') return given.at(-1);
  if (typeof given[0] === 'string' && !['date', 'time', 'place', 'candidate', 'role'].includes(key)) return [...new Set(given)].join(' ');
  return given[0];
}

/** Minutes of the parts, in meeting order, merged into one (prose fields taken from the first part). */
export function mergeMinutes(schema: JsonSchema, parts: readonly Minutes[]): Minutes {
  const prose = new Set(proseFields(schema));
  return Object.fromEntries(Object.entries(propsOf(schema)).map(([k, node]) => [k, prose.has(k) ? parts[0]?.[k] : mergeField(node, k, parts.map((p) => p[k]))]));
}
