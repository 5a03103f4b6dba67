/** The validated, defaulted form of `HttpGetOptions`: checked once, when a client is created. */
import { ConfigError, describeValue } from '../errors.js';
import { checkInteger, checkNonEmptyString, checkTimerMs } from '../options/check.js';
import { HTTP_DEFAULTS } from '../options/defaults.js';
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
    timeoutMs: checkTimerMs('timeoutMs', options.timeoutMs ?? HTTP_DEFAULTS.timeoutMs, { min: 1 }),
    maxBytes: checkInteger('maxBytes', options.maxBytes ?? HTTP_DEFAULTS.maxBytes, { min: 1 }),
    maxRedirects: checkInteger('maxRedirects', options.maxRedirects ?? HTTP_DEFAULTS.maxRedirects, { min: 0 }),
    headers,
  };
}

/** The default headers with `userAgent` and the extra `headers` over them, each checked. */
function requestHeaders(options: HttpGetOptions): Record<string, string> {
  const userAgent = checkNonEmptyString('userAgent', options.userAgent ?? DEFAULT_USER_AGENT, { singleLine: true });
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
