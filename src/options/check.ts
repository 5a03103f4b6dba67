/**
 * Checks of option values, shared by every module that takes options. Each returns the value when it
 * is valid, and otherwise throws a `ConfigError` that names the option in one wording, as p-queue
 * does: ``Expected `maxPages` to be an integer from 1 and up, got `0` (number).``
 *
 * Messages name options, never CLI flags: the CLI rewrites a backticked option name into its flag
 * when it prints the error.
 */
import { ConfigError, describeValue } from '../errors.js';

/** Bounds of {@link checkInteger} and {@link checkNumber}; all optional. */
export interface RangeOptions {
  /** Smallest value allowed. */
  min?: number;
  /** Largest value allowed. */
  max?: number;
  /** Why the bounds are what they are, shown after them: `pgvector's range`. */
  why?: string;
  /** Whose option it is, shown after its name: `answers` gives ``Expected `concurrency` of answers to be ...``. */
  of?: string;
}

/** Bounds of {@link checkNumber}: also an exclusive lower bound. */
export interface NumberRangeOptions extends RangeOptions {
  /** Values must be greater than this (`0`: "a number above 0"). */
  above?: number;
}

function fail(option: string, value: unknown, expected: string, of?: string): never {
  throw new ConfigError(option, value, `Expected \`${option}\`${of ? ` of ${of}` : ''} to be ${expected}, got ${describeValue(value)}.`);
}

/** `an integer from 1 to 1000 (pgvector's range)`, `a number above 0`, `an integer from 0 and up`. */
function describeRange(kind: string, range: NumberRangeOptions): string {
  const { min, max, above, why } = range;
  let bounds = '';
  if (above !== undefined) bounds = max === undefined ? ` above ${above}` : ` above ${above} and up to ${max}`;
  else if (min !== undefined) bounds = max === undefined ? ` from ${min} and up` : ` from ${min} to ${max}`;
  else if (max !== undefined) bounds = ` up to ${max}`;
  return `${kind}${bounds}${why ? ` (${why})` : ''}`;
}

function inRange(value: number, range: NumberRangeOptions): boolean {
  return !(
    (range.min !== undefined && value < range.min) ||
    (range.max !== undefined && value > range.max) ||
    (range.above !== undefined && value <= range.above)
  );
}

/** An integer within `range`: ``Expected `k` to be an integer from 1 to 1000, got `0` (number).`` */
export function checkInteger(option: string, value: unknown, range: RangeOptions = {}): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || !inRange(value, range)) fail(option, value, describeRange('an integer', range), range.of);
  return value;
}

/**
 * The longest wait a Node.js timer holds, in milliseconds (2^31 - 1, about 24.8 days): a longer
 * `setTimeout` fires after 1 ms instead, so every option that ends up in a timer is bounded by it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Milliseconds a timer can wait: ``Expected `delayMs` to be an integer from 0 to 2147483647 (...)``. */
export function checkTimerMs(option: string, value: unknown, range: { min?: number } = {}): number {
  return checkInteger(option, value, { min: range.min ?? 0, max: MAX_TIMER_MS, why: 'the longest a timer can wait, about 24.8 days' });
}

/** A finite number within `range`: ``Expected `burst` to be a number above 0, got `0` (number).`` */
export function checkNumber(option: string, value: unknown, range: NumberRangeOptions = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !inRange(value, range)) fail(option, value, describeRange('a number', range), range.of);
  return value;
}

/** One of `choices`: ``Expected `scope` to be one of "host", "domain" or "prefix", got `planet` (string).`` */
export function checkOneOf<T extends string>(option: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    const quoted = choices.map((c) => JSON.stringify(c));
    fail(option, value, `one of ${quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` : quoted.join('')}`);
  }
  return value as T;
}

/** A string with something in it (and, with `singleLine`, no line break): a name, a header value. */
export function checkNonEmptyString(option: string, value: unknown, options: { singleLine?: boolean } = {}): string {
  if (typeof value !== 'string' || value.trim() === '' || (options.singleLine && /[\r\n]/.test(value))) {
    fail(option, value, `a non-empty${options.singleLine ? ' single-line' : ''} string`);
  }
  return value;
}

/** `true` or `false`. */
export function checkBoolean(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(option, value, 'true or false');
  return value;
}
