/**
 * Durations as people write them on a command line: `30s`, `10m`, `1h`, `2d`, `500ms`, or a
 * combination (`1h30m`). One parser for every option that takes a duration.
 */
import { ConfigError, describeValue } from '../errors.js';

/** Milliseconds of the units people type. */
const TYPED_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A reader of durations written as number-unit pairs run together (`1h30m`, `9.816s`) in `units`
 * (milliseconds per unit name): the sum in milliseconds, or undefined when any of the text is not
 * such a pair. The one mechanism behind the CLI's durations and OpenAI's reset headers.
 */
export function durationReader(units: Readonly<Record<string, number>>): (text: string) => number | undefined {
  // Longest names first, so `ms` is never read as `m` followed by `s`.
  const names = Object.keys(units).sort((a, b) => b.length - a.length);
  const pair = new RegExp(`(\\d+(?:\\.\\d+)?)(${names.join('|')})`, 'y');
  return (text) => {
    let total = 0;
    pair.lastIndex = 0;
    while (pair.lastIndex < text.length) {
      const m = pair.exec(text);
      if (!m) return undefined;
      total += Number(m[1]) * units[m[2]!]!;
    }
    return text.length > 0 ? total : undefined;
  };
}

const readTyped = durationReader(TYPED_UNITS);

/**
 * Milliseconds of a duration such as `30s`, `10m`, `1h`, `1h30m` or `500ms`; a bare number is
 * refused (its unit would be a guess). Throws a `ConfigError` naming `option` otherwise.
 * @param min the shortest duration allowed, in milliseconds
 */
export function parseDuration(option: string, text: string, min = 1): number {
  const read = readTyped(text.toLowerCase().replace(/\s+/g, ''));
  if (read === undefined) {
    throw new ConfigError(option, text, `Expected \`${option}\` to be a duration like 30s, 10m, 1h or 1h30m, got ${describeValue(text)}.`);
  }
  const ms = Math.round(read);
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
