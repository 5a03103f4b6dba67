/**
 * Metadata conditions beyond containment: `key=value`, `key!=value`, `key in a,b`, and ranges
 * `key>=3`, `key<2024-01-01` on numbers and ISO dates, as written on the command line and in the
 * API, parsed into data the store compiles to SQL.
 */
import { ConfigError, describeValue } from '../errors.js';
import type { MetadataCondition } from '../store/metadata-sql.js';

export type { MetadataCondition } from '../store/metadata-sql.js';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const KEY = /^[A-Za-z_][\w.-]*$/;

/** A value as written: JSON when it reads back as written (3, true, "x", ["a"]), else the string. */
function valueOf(raw: string): unknown {
  const text = raw.trim();
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'number' && String(parsed) !== text) return text;
    return parsed;
  } catch {
    return text;
  }
}

const HELP = 'Write key=value, key!=value, "key in a,b", key>=3 or key<2024-01-01 (ranges take numbers or ISO dates).';

/** Parse one filter expression; a `ConfigError` naming the expression when it is not one. */
export function parseCondition(expression: string): MetadataCondition {
  const inMatch = /^\s*([^\s=<>!]+)\s+in\s+(.+)$/i.exec(expression);
  if (inMatch) {
    const [, key, list] = inMatch as unknown as [string, string, string];
    checkKey(key, expression);
    const values = list.split(',').map((v) => valueOf(v)).filter((v) => v !== '');
    if (values.length === 0) throw new ConfigError('filter', expression, `Filter ${describeValue(expression)} lists no values after "in". ${HELP}`);
    return { key, op: 'in', values };
  }
  const m = /^\s*([^\s=<>!]+)\s*(!=|>=|<=|=|>|<)\s*(.*)$/.exec(expression);
  if (!m) throw new ConfigError('filter', expression, `Cannot read filter ${describeValue(expression)}. ${HELP}`);
  const [, key, op, raw] = m as unknown as [string, string, MetadataCondition['op'], string];
  checkKey(key, expression);
  if (op === '=' || op === '!=') return { key, op, value: valueOf(raw) };
  const text = raw.trim();
  const value = valueOf(text);
  if (typeof value === 'number' && Number.isFinite(value)) return { key, op, value } as MetadataCondition;
  if (ISO_DATE.test(text)) return { key, op, value: text } as MetadataCondition;
  throw new ConfigError('filter', expression, `Filter ${describeValue(expression)} compares with ${describeValue(text)}: a range takes a number (3, 2.5) or an ISO date (2024-01-01). ${HELP}`);
}

function checkKey(key: string, expression: string): void {
  if (!KEY.test(key)) throw new ConfigError('filter', expression, `Filter ${describeValue(expression)} has no usable key: keys are letters, digits, "_", "-" and ".". ${HELP}`);
}

/**
 * Split conditions into a containment object (every `=`: one `metadata @> …`, served by the GIN
 * index) and the rest.
 */
export function splitConditions(conditions: readonly MetadataCondition[]): { contains: Record<string, unknown>; rest: MetadataCondition[] } {
  const contains: Record<string, unknown> = {};
  const rest: MetadataCondition[] = [];
  for (const c of conditions) {
    if (c.op === '=' && !Object.hasOwn(contains, c.key)) contains[c.key] = c.value;
    else rest.push(c);
  }
  return { contains, rest };
}
