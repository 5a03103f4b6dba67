/**
 * Sending one API request through the shared scheduler, with ragline's retries instead of the
 * SDK's: a 429 waits for `retry-after`/`retry-after-ms` (else backs off with jitter), 408/409/5xx,
 * timeouts and dropped connections retry, `insufficient_quota` stops every request on the key at
 * once, and anything else (400s) fails immediately.
 */
import { ModelError } from '../../errors.js';
import { BudgetExceededError, parseOpenAIDuration, retryAfterMs, type Permit, type RateLimiter } from './rate-limiter.js';
import { sleep } from '../../net/retry.js';
import type { APIError } from 'openai';
import { loadOpenAISdk, toModelError } from './client.js';

/** Options of {@link sendWithRetries}. */
export interface SendOptions {
  limiter: RateLimiter;
  /** Estimated tokens the request spends of the TPM budget. */
  tokens: number;
  /** Model id, for errors. */
  model: string;
  /** What the request does, for errors: "Embedding 12 inputs with text-embedding-3-small". */
  what: string;
  /**
   * Attempts after the first one fails with a retryable error.
   * @default 6
   */
  maxRetries?: number;
  /**
   * First backoff when the server gives no `retry-after`, doubled on every attempt (with jitter).
   * @default 500
   */
  backoffMs?: number;
  /**
   * Longest backoff.
   * @default 30000
   */
  maxBackoffMs?: number;
  /** Told about every retry, with the error and the wait. */
  onRetry?: (event: { attempt: number; status: number | undefined; waitMs: number }) => void;
  signal?: AbortSignal;
}

/** A response the SDK gave with `.withResponse()`. */
export interface WithResponse<T> {
  data: T;
  response: Response;
}

/** "Please try again in 1.2s." in a 429 message. */
function tryAgainIn(message: string): number | undefined {
  const m = /try again in ([0-9.]+(?:ms|s|m|h)(?:[0-9.]+(?:ms|s|m))*)/i.exec(message);
  return m ? parseOpenAIDuration(m[1]) : undefined;
}

/**
 * Send a request built by `attempt` (which must call the SDK with `maxRetries: 0` and
 * `.withResponse()`), waiting for the budget first and retrying what may succeed later.
 */
export async function sendWithRetries<T>(options: SendOptions, attempt: (signal?: AbortSignal) => Promise<WithResponse<T>>): Promise<WithResponse<T>> {
  const { limiter, signal } = options;
  for (let n = 0; ; n++) {
    const permit = await acquirePermit(options);
    let result: WithResponse<T>;
    try {
      result = await attempt(signal);
    } catch (err) {
      const wait = await retryWait(err, permit, options, n);
      if (wait !== undefined) await sleep(wait, signal);
      continue;
    }
    limiter.release(permit, result.response.headers, 'ok');
    return result;
  }
}

/** Wait for the request's place in the budget; a request larger than the whole budget is a `ModelError`. */
async function acquirePermit(options: SendOptions): Promise<Permit> {
  try {
    return await options.limiter.acquire(options.tokens, options.signal);
  } catch (err) {
    if (!(err instanceof BudgetExceededError)) throw err;
    throw new ModelError('openai', options.model, `${options.what} needs more tokens than the account's whole per-minute budget: ${err.message}`, {
      cause: err,
      code: 'request_too_large',
    });
  }
}

/**
 * After attempt `n` failed with `err`: release its permit as the failure deserves, then throw
 * what is not to be retried, or give the wait before the next attempt (undefined: retry at once).
 */
async function retryWait(err: unknown, permit: Permit, options: SendOptions, n: number): Promise<number | undefined> {
  const { limiter, signal } = options;
  // Loaded already when the request was built with ragline's client; a given client's errors
  // come from the same module.
  const OpenAI = await loadOpenAISdk();
  const maxRetries = options.maxRetries ?? 6;
  const backoff = Math.min(options.maxBackoffMs ?? 30_000, (options.backoffMs ?? 500) * 2 ** n) * (0.5 + Math.random() * 0.5);
  if (err instanceof OpenAI.APIUserAbortError || signal?.aborted) {
    limiter.release(permit, undefined, 'failed');
    throw signal?.reason ?? err;
  }
  if (err instanceof OpenAI.APIConnectionError) {
    // Timeouts and resets: the server may or may not have counted it; keep the charge.
    limiter.release(permit, undefined, err instanceof OpenAI.APIConnectionTimeoutError ? 'server-error' : 'failed');
    if (n >= maxRetries) throw await exhausted(err, options, n);
    options.onRetry?.({ attempt: n + 1, status: undefined, waitMs: backoff });
    return backoff;
  }
  if (!(err instanceof OpenAI.APIError)) {
    limiter.release(permit, undefined, 'failed');
    throw err;
  }
  const status = err.status ?? 0;
  const code = typeof err.code === 'string' ? err.code : undefined;
  const headers = err.headers;
  if (status === 429 && code === 'insufficient_quota') {
    const fatal = (await toModelError(err, options.model, options.what)) as ModelError;
    limiter.release(permit, headers, 'failed');
    limiter.fail(fatal);
    throw fatal;
  }
  if (status === 429) return rateLimitedWait(err, permit, options, n, backoff);
  if (status === 408 || status === 409 || status >= 500) {
    const told = retryAfterMs(headers);
    limiter.release(permit, headers, 'server-error');
    if (n >= maxRetries) throw await exhausted(err, options, n);
    const wait = told ?? backoff;
    options.onRetry?.({ attempt: n + 1, status, waitMs: wait });
    return wait;
  }
  limiter.release(permit, headers, 'failed');
  throw await toModelError(err, options.model, options.what);
}

/** `retryWait` for a 429 that is not `insufficient_quota`. */
async function rateLimitedWait(err: APIError, permit: Permit, options: SendOptions, n: number, backoff: number): Promise<number | undefined> {
  const status = 429;
  const headers = err.headers;
  const message = (err.error as { message?: string } | undefined)?.message ?? err.message;
  const told = retryAfterMs(headers);
  options.limiter.release(permit, headers, 'rate-limited', told);
  if (/request too large/i.test(message)) {
    throw new ModelError('openai', options.model, `${options.what} needs more tokens than the account's whole per-minute budget: ${message}`, {
      cause: err,
      status,
      code: 'request_too_large',
    });
  }
  if (n >= (options.maxRetries ?? 6)) throw await exhausted(err, options, n);
  // The limiter pauses everyone for a `retry-after`; otherwise back off, at least as long as
  // the message asks.
  const wait = told !== undefined ? 0 : Math.max(backoff, tryAgainIn(message) ?? 0);
  options.onRetry?.({ attempt: n + 1, status, waitMs: told ?? wait });
  return wait > 0 ? wait : undefined;
}

async function exhausted(err: unknown, options: SendOptions, retries: number): Promise<unknown> {
  const e = await toModelError(err, options.model, options.what);
  if (!(e instanceof ModelError) || retries === 0) return e;
  return new ModelError(e.provider, e.model, `${e.message} (gave up after ${retries + 1} attempts)`, {
    cause: err,
    ...(e.status !== undefined ? { status: e.status } : {}),
    isRetryable: true,
  });
}
