/**
 * Structured outputs for the stand-in: a `respond` that answers a `response_format: json_schema`
 * request with JSON valid against the schema, as the real API guarantees in strict mode. The stand-in
 * understands nothing, so the values are plain: strings are sentences quoted in turn from the last
 * user message (tags and `[hh:mm:ss]` times removed), arrays get one or two items, nullable fields
 * are null, enums take their first value, numbers their minimum or 0. A `fill` callback lets a test
 * choose any value by its path (`action_items.0.owner`).
 *
 * Other requests go to `fallback` (the stand-in's `defaultRespond` unless given).
 */
import { defaultRespond, type StandInChatMessage } from './openai-stand-in.js';

/** Options of {@link structuredRespond}. */
export interface StructuredRespondOptions {
  /**
   * Choose a value for a path of the reply; return `undefined` to let the generator pick.
   * Paths join property names and array indexes with dots: `key_points.1`, `sentiment.label`.
   */
  fill?: (path: string, schema: Record<string, unknown>, messages: readonly StandInChatMessage[]) => unknown;
  /**
   * Items in each generated array (within the schema's minItems/maxItems).
   * @default 2
   */
  arrayItems?: number;
  /** Replies to requests without a JSON schema. @default defaultRespond */
  fallback?: (messages: StandInChatMessage[], model: string, request: Record<string, unknown>) => string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sentences of the last user message, without markup or times, to quote as string values. */
function quotable(messages: readonly StandInChatMessage[]): string[] {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const text = lastUser
    .replace(/<[^>]*>/g, ' ')
    .replace(/\[\d{1,2}:\d{2}:\d{2}\]\s*/g, ' ')
    .replace(/^\s*>>\s*/gm, ' ');
  const out = text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length >= 12);
  return out.length > 0 ? out : ['(nothing to quote)'];
}

/** A JSON value valid against `schema` (the subset structured outputs allows). */
export function jsonForSchema(schema: Record<string, unknown>, messages: readonly StandInChatMessage[] = [], options: StructuredRespondOptions = {}): unknown {
  const sentences = quotable(messages);
  let next = 0;
  const defs = (isRecord(schema.$defs) ? schema.$defs : isRecord(schema.definitions) ? schema.definitions : {}) as Record<string, unknown>;
  const build = (node: Record<string, unknown>, path: string): unknown => {
    const chosen = options.fill?.(path, node, messages);
    if (chosen !== undefined) return chosen;
    if (typeof node.$ref === 'string') {
      const target = defs[node.$ref.replace(/^#\/(?:\$defs|definitions)\//, '')];
      return isRecord(target) ? build(target, path) : null;
    }
    if ('const' in node) return node.const;
    if (Array.isArray(node.enum)) return node.enum[0];
    if (Array.isArray(node.anyOf) && isRecord(node.anyOf[0])) {
      const nullable = node.anyOf.find((s) => isRecord(s) && s.type === 'null');
      return nullable ? null : build(node.anyOf[0], path);
    }
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (types.includes('null')) return null;
    switch (types[0]) {
      case 'object': {
        const props = isRecord(node.properties) ? node.properties : {};
        return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, build(isRecord(v) ? v : {}, path ? `${path}.${k}` : k)]));
      }
      case 'array': {
        const min = typeof node.minItems === 'number' ? node.minItems : 0;
        const max = typeof node.maxItems === 'number' ? node.maxItems : Infinity;
        const n = Math.min(max, Math.max(min, options.arrayItems ?? 2));
        const items = isRecord(node.items) ? node.items : {};
        return Array.from({ length: n }, (_, i) => build(items, `${path}.${i}`));
      }
      case 'integer':
      case 'number':
        return typeof node.minimum === 'number' ? node.minimum : 0;
      case 'boolean':
        return false;
      default:
        return sentences[next++ % sentences.length];
    }
  };
  return build(schema, '');
}

/** A stand-in `respond` that honours `response_format: json_schema` (see the module comment). */
export function structuredRespond(options: StructuredRespondOptions = {}) {
  return (messages: StandInChatMessage[], model: string, request: Record<string, unknown>): string => {
    const format = request.response_format;
    if (isRecord(format) && format.type === 'json_schema' && isRecord(format.json_schema) && isRecord(format.json_schema.schema)) {
      return JSON.stringify(jsonForSchema(format.json_schema.schema, messages, options));
    }
    if (isRecord(format) && format.type === 'json_object') return JSON.stringify({ reply: defaultRespond(messages) });
    return (options.fallback ?? defaultRespond)(messages, model, request);
  };
}
