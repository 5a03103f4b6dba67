/** The HNSW flags (`--m`, `--ef-construction`, `--ef-search`) of `ingest`, `search`, `ask` and `collections index`. */
import { ConfigError, describeValue } from '../errors.js';
import { HNSW_DEFAULTS, checkHnswSettings, type HnswSettings } from '../store/collections.js';
import { OPTION_FLAGS } from './option-flags.js';

type HnswKey = keyof HnswSettings;

/** Each setting's flag. */
export const HNSW_FLAGS: Record<HnswKey, string> = { m: OPTION_FLAGS.m!, efConstruction: OPTION_FLAGS.efConstruction!, efSearch: OPTION_FLAGS.efSearch! };

/** Help of the `--filter` flag of `search` and `ask`. */
export const FILTER_HELP =
  'only chunks whose metadata has this (as set by `ragline ingest --metadata`); the value is JSON when valid (3, true, ["a","b"]), else a string (3.10 stays "3.10"); repeatable: all must match';

/** A collection's settings with pgvector's defaults filled in. */
export function effectiveHnsw(index: HnswSettings): Required<HnswSettings> {
  return { ...HNSW_DEFAULTS, ...index };
}

/** `m 16, ef_construction 64, ef_search 40`. */
export function describeHnsw(settings: HnswSettings): string {
  const names: Record<HnswKey, string> = { m: 'm', efConstruction: 'ef_construction', efSearch: 'ef_search' };
  return (Object.keys(names) as HnswKey[])
    .filter((k) => settings[k] !== undefined)
    .map((k) => `${names[k]} ${settings[k]}`)
    .join(', ');
}

/**
 * Commander parser of an HNSW flag: an integer in pgvector's range, or, when allowed, `default`
 * (kept as the string: commander turns a parsed `null` into `''`).
 */
export function parseHnswFlag(key: HnswKey, options: { allowDefault: true }): (value: string) => number | 'default';
export function parseHnswFlag(key: HnswKey, options?: { allowDefault?: false }): (value: string) => number;
export function parseHnswFlag(key: HnswKey, options: { allowDefault?: boolean } = {}): (value: string) => number | 'default' {
  return (value: string) => {
    if (options.allowDefault && value === 'default') return 'default';
    if (!/^\s*\d+\s*$/.test(value)) {
      throw new ConfigError(key, value, `Expected \`${key}\` to be an integer${options.allowDefault ? ' or "default"' : ''}, got ${describeValue(value)}.`);
    }
    const n = Number(value);
    checkHnswSettings({ [key]: n });
    return n;
  };
}
