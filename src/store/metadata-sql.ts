/**
 * Metadata conditions compiled to parameterised SQL over `k.metadata` (jsonb). Equality and `in`
 * are containment (`@>`), which the GIN index `chunks_metadata_idx` serves (`in` as an OR of
 * containments, a BitmapOr); `!=` and ranges are checked on the rows the other conditions and the
 * collection's vector index already narrowed. Ranges compare numbers as numbers (rows whose value
 * is not a number never match) and ISO dates as text (chronological for one format).
 */

/** A comparison of one metadata key (parsed from `key=value`, `key!=value`, `key in a,b`, `key>=3`, ...). */
export type MetadataCondition =
  | { key: string; op: '=' | '!='; value: unknown }
  | { key: string; op: 'in'; values: unknown[] }
  | { key: string; op: '<' | '<=' | '>' | '>='; value: number | string };

/** SQL for `conditions` (joined with AND, each starting with ` AND `), its parameters numbered from `first`. */
export function conditionsSql(conditions: readonly MetadataCondition[], first: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${first + params.length - 1}`;
  };
  const parts = conditions.map((c) => {
    switch (c.op) {
      case '=':
        return `k.metadata @> ${param(JSON.stringify({ [c.key]: c.value }))}::jsonb`;
      case '!=':
        return `NOT (k.metadata @> ${param(JSON.stringify({ [c.key]: c.value }))}::jsonb)`;
      case 'in':
        return `(${c.values.map((v) => `k.metadata @> ${param(JSON.stringify({ [c.key]: v }))}::jsonb`).join(' OR ')})`;
      default: {
        const key = param(c.key);
        if (typeof c.value === 'number') {
          return `(CASE WHEN jsonb_typeof(k.metadata -> ${key}::text) = 'number' THEN (k.metadata ->> ${key}::text)::numeric ${c.op} ${param(c.value)}::numeric ELSE false END)`;
        }
        return `(CASE WHEN jsonb_typeof(k.metadata -> ${key}::text) = 'string' THEN (k.metadata ->> ${key}::text) ${c.op} ${param(c.value)}::text ELSE false END)`;
      }
    }
  });
  return { sql: parts.map((p) => ` AND ${p}`).join(''), params };
}
