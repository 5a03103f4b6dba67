/** The validated, defaulted form of `HttpGetOptions`: checked once, when a client is created. */
import { ConfigError, describeValue } from '../errors.js';
import type { HttpGetOptions } from './http-get.js';

/** The `User-Agent` sent when none is configured. */
export const DEFAULT_USER_AGENT = 'ragline/0.1 (+https://github.com/ragline/ragline)';

/** Validated, defaulted options. */
export interface HttpSettings {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  /** The headers of every request: defaults, `user-agent`, then the configured ones (lower-case names). */
  headers: Record<string, string>;
}

/** Validate a whole-number option. */
function integerOption(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(
      name,
      value,
      `${name} must be an integer >= ${min}, got ${describeValue(value)}.`,
    );
  }
  return value;
}

/** Check `options` (`ConfigError` naming the option and value) and fill in the defaults. */
export function httpSettings(options: HttpGetOptions): HttpSettings {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('options', options, `Options must be an object, got ${describeValue(options)}.`);
  }
  const headers = requestHeaders(options);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new ConfigError('signal', options.signal, `signal must be an AbortSignal, got ${describeValue(options.signal)}.`);
  }
  return {
    timeoutMs: integerOption('timeoutMs', options.timeoutMs, 30_000, 1),
    maxBytes: integerOption('maxBytes', options.maxBytes, 10 * 1024 * 1024, 1),
    maxRedirects: integerOption('maxRedirects', options.maxRedirects, 10, 0),
    headers,
  };
}

/** The default headers with `userAgent` and the extra `headers` over them, each checked. */
function requestHeaders(options: HttpGetOptions): Record<string, string> {
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  if (typeof userAgent !== 'string' || userAgent.trim() === '' || /[\r\n]/.test(userAgent)) {
    throw new ConfigError(
      'userAgent',
      userAgent,
      `userAgent must be a non-empty single-line string, got ${describeValue(userAgent)}.`,
    );
  }
  const extra: unknown = options.headers ?? {};
  if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
    throw new ConfigError('headers', extra, `headers must be an object of strings, got ${describeValue(extra)}.`);
  }
  const headers: Record<string, string> = {
    'user-agent': userAgent,
    accept: 'text/html,application/xhtml+xml,text/markdown;q=0.9,text/plain;q=0.8,*/*;q=0.5',
    'accept-encoding': 'gzip, deflate, br',
  };
  for (const [name, value] of Object.entries(extra)) {
    if (typeof value !== 'string' || /[\r\n]/.test(value)) {
      throw new ConfigError(
        `headers.${name}`,
        value,
        `Header ${name} must be a single-line string, got ${describeValue(value)}.`,
      );
    }
    headers[name.toLowerCase()] = value;
  }
  return headers;
}
