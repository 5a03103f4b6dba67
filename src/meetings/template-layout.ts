/**
 * The layout of minutes: which field of the minutes becomes which section, and how it is shown —
 * a paragraph (`text`), a bulleted list (`list`), a table (`table`, one row per item) or label/value
 * lines (`fields`, for an object). A layout is derived from the schema when a template gives none.
 */
import type { JsonSchema } from './template-schemas.js';

/** One column of a table section. */
export interface LayoutColumn {
  /** The item's property shown in this column. */
  field: string;
  title: string;
}

/** One section of the rendered minutes. */
export interface LayoutSection {
  /** The top-level field of the minutes shown here. */
  field: string;
  /** The section heading. */
  title: string;
  as: 'text' | 'list' | 'table' | 'fields';
  /** Columns of a `table` (default: the item's properties, in schema order). */
  columns?: LayoutColumn[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const TITLES: Record<string, string> = { abstract_summary: 'Abstract Summary', due_date: 'Due', timestamp: 'Time', adjourned_at: 'Adjourned', public_comment: 'Public Comment', next_time: 'Next Time' };

/** `action_items` → `Action Items`. */
export function titleOf(field: string): string {
  return TITLES[field] ?? field.split(/[_\s-]+/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

const typesOf = (node: JsonSchema): unknown[] => (Array.isArray(node.type) ? node.type : [node.type]);

/** How a field of this schema is shown. */
function kindOf(node: JsonSchema): LayoutSection['as'] {
  const types = typesOf(node);
  if (types.includes('array')) return isRecord(node.items) && typesOf(node.items).includes('object') ? 'table' : 'list';
  if (types.includes('object')) {
    // An object of plain texts (a sentiment: label and explanation) reads as one line; one with gaps or lists as labelled lines.
    const props = Object.values(isRecord(node.properties) ? node.properties : {});
    return props.length > 0 && props.every((p) => isRecord(p) && typesOf(p).length === 1 && typesOf(p)[0] === 'string') ? 'text' : 'fields';
  }
  return 'text';
}

/** A section per top-level property, in schema order; tables get a column per item property. */
export function deriveLayout(schema: JsonSchema): LayoutSection[] {
  const props = isRecord(schema.properties) ? schema.properties : {};
  return Object.entries(props).map(([field, node]) => {
    const as = kindOf(isRecord(node) ? node : {});
    const section: LayoutSection = { field, title: titleOf(field), as };
    if (as === 'table' && isRecord(node) && isRecord(node.items) && isRecord(node.items.properties)) {
      section.columns = Object.keys(node.items.properties).map((f) => ({ field: f, title: titleOf(f) }));
    }
    return section;
  });
}

/** A user's layout checked against the schema; throws `TypeError` saying what is wrong. */
export function checkLayout(value: unknown, schema: JsonSchema): LayoutSection[] {
  if (!Array.isArray(value)) throw new TypeError('it is not a list of sections');
  const props = isRecord(schema.properties) ? schema.properties : {};
  const derived = new Map(deriveLayout(schema).map((s) => [s.field, s]));
  return value.map((item, i) => {
    const field = isRecord(item) ? item.field : item;
    if (typeof field !== 'string' || !(field in props)) throw new TypeError(`section ${i + 1} names no field of the schema (${Object.keys(props).join(', ')})`);
    const base = derived.get(field)!;
    if (!isRecord(item)) return base;
    const as = item.as ?? base.as;
    if (as !== 'text' && as !== 'list' && as !== 'table' && as !== 'fields') throw new TypeError(`section "${field}" has "as": ${JSON.stringify(as)}; use text, list, table or fields`);
    const section: LayoutSection = { field, title: typeof item.title === 'string' ? item.title : base.title, as };
    const columns = Array.isArray(item.columns)
      ? item.columns.map((c) => (typeof c === 'string' ? { field: c, title: titleOf(c) } : isRecord(c) && typeof c.field === 'string' ? { field: c.field, title: typeof c.title === 'string' ? c.title : titleOf(c.field) } : undefined))
      : base.columns;
    if (columns?.some((c) => c === undefined)) throw new TypeError(`section "${field}" has a column that is neither a name nor {"field", "title"}`);
    if (columns && as === 'table') section.columns = columns as LayoutColumn[];
    return section;
  });
}
