/** The HNSW flags (`--m`, `--ef-construction`, `--ef-search`) of `ingest`, `search`, `ask` and `collections index`. */
import { ConfigError, describeValue } from '../errors.js';
import { HNSW_DEFAULTS, checkHnswSettings, type HnswSettings } from '../store/collections.js';

type HnswKey = keyof HnswSettings;

/** Each setting's flag. */
export const HNSW_FLAGS: Record<HnswKey, string> = { m: '--m', efConstruction: '--ef-construction', efSearch: '--ef-search' };

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

/** An error about HNSW settings, reworded with the flags' names (`m` → `--m`). */
export function withFlagNames(err: unknown): unknown {
  if (!(err instanceof ConfigError) || !(err.option in HNSW_FLAGS)) return err;
  const message = err.message.replace(/`(m|efConstruction|efSearch)`/g, (_, key: HnswKey) => HNSW_FLAGS[key]);
  return new ConfigError(HNSW_FLAGS[err.option as HnswKey].slice(2), err.value, message, { cause: err });
}

/** Run `fn`, rewording its HNSW errors with the flags' names. */
export async function withHnswFlagNames<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw withFlagNames(err);
  }
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
      throw new ConfigError(key, value, `Expected ${HNSW_FLAGS[key]} to be an integer${options.allowDefault ? ' or "default"' : ''}, got ${describeValue(value)}.`);
    }
    const n = Number(value);
    try {
      checkHnswSettings({ [key]: n });
    } catch (err) {
      throw withFlagNames(err);
    }
    return n;
  };
}
