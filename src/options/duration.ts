/**
 * Durations as people write them on a command line: `30s`, `10m`, `1h`, `2d`, `500ms`, or a
 * combination (`1h30m`). One parser for every option that takes a duration.
 */
import { ConfigError, describeValue } from '../errors.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Milliseconds of a duration such as `30s`, `10m`, `1h`, `1h30m` or `500ms`; a bare number is
 * refused (its unit would be a guess). Throws a `ConfigError` naming `option` otherwise.
 * @param min the shortest duration allowed, in milliseconds
 */
export function parseDuration(option: string, text: string, min = 1): number {
  const value = text.trim().toLowerCase();
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g)];
  const joined = parts.map((p) => p[0]).join('');
  if (parts.length === 0 || joined.replace(/\s+/g, '') !== value.replace(/\s+/g, '')) {
    throw new ConfigError(option, text, `Expected \`${option}\` to be a duration like 30s, 10m, 1h or 1h30m, got ${describeValue(text)}.`);
  }
  const ms = Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0));
  if (ms < min) throw new ConfigError(option, text, `Expected \`${option}\` to be at least ${formatDuration(min)}, got ${describeValue(text)}.`);
  return ms;
}

/** A duration in the largest whole units that fit: `1h 30m`, `45s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const out: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, seconds] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= seconds) {
      out.push(`${Math.floor(rest / seconds)}${unit}`);
      rest %= seconds;
    }
  }
  return out.join(' ');
}
