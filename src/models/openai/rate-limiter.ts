/**
 * One scheduler per API key, base URL and model, shared by everything in the process (ingest, jobs,
 * question embeddings, chat): it holds requests until the account's requests-per-minute and
 * tokens-per-minute budgets allow them, learns those budgets from the `x-ratelimit-*` headers, pauses
 * everyone after a 429, and adapts how many requests are in flight.
 *
 * The budgets are modelled the way OpenAI describes them: a bucket of `limit` units that refills at
 * `limit` per minute, continuously. A request spends its estimated tokens when it is sent; the server
 * spends them when the request arrives, which is never earlier, so a client that keeps its own bucket
 * non-negative never sees a 429 it could have avoided.
 */
import { createHash } from 'node:crypto';
import { checkInteger, checkNumber } from '../../options/check.js';
import { parseRetryAfter, sleep } from '../../net/retry.js';
import { durationReader } from '../../options/duration.js';

const MINUTE_MS = 60_000;

/** Budgets of an account for one model, per minute. */
export interface RateLimits {
  /** Requests per minute; unknown until configured or announced by the server. */
  requestsPerMinute?: number;
  /** Tokens per minute; unknown until configured or announced by the server. */
  tokensPerMinute?: number;
}

/** Options of a {@link RateLimiter}. */
export interface RateLimiterOptions extends RateLimits {
  /**
   * Most requests in flight at once; the limiter adapts below this (halving after a 429 or a
   * server error, growing by one after successes while requests are waiting).
   * @default 32
   */
  maxConcurrency?: number;
  /**
   * Requests in flight at the start.
   * @default 8
   */
  initialConcurrency?: number;
  /** Clock in milliseconds (injectable for tests). @default Date.now */
  now?: () => number;
}

/** A request's place in the budget, from {@link RateLimiter.acquire} until {@link RateLimiter.release}. */
export interface Permit {
  readonly seq: number;
  readonly tokens: number;
}

/** What the limiter knows right now, for progress lines and tests. */
export interface RateLimiterState {
  requestsPerMinute: number | undefined;
  tokensPerMinute: number | undefined;
  remainingRequests: number | undefined;
  remainingTokens: number | undefined;
  inFlight: number;
  concurrency: number;
  /** Milliseconds until a pause after a 429 ends; 0 when not paused. */
  pausedMs: number;
  /** Whether any response carried `x-ratelimit-*` headers. */
  learnedFromHeaders: boolean;
}

/** A request needs more tokens than the whole per-minute budget: it can never be sent as it is. */
export class BudgetExceededError extends Error {
  constructor(
    readonly tokens: number,
    readonly tokensPerMinute: number,
  ) {
    super(`The request needs ${tokens} tokens, more than the whole budget of ${tokensPerMinute} tokens per minute.`);
    this.name = 'BudgetExceededError';
  }
}

/** A continuously refilling budget of `limit` units per minute. */
class Bucket {
  limit: number;
  private level: number;
  private at: number;

  constructor(
    limit: number,
    private readonly now: () => number,
  ) {
    this.limit = limit;
    this.level = limit;
    this.at = now();
  }

  private refill(): void {
    const t = this.now();
    this.level = Math.min(this.limit, this.level + ((t - this.at) * this.limit) / MINUTE_MS);
    this.at = t;
  }

  available(): number {
    this.refill();
    return this.level;
  }

  /** Milliseconds until `amount` (capped at the limit: a request can at most wait for a full bucket) is there. */
  waitMs(amount: number): number {
    this.refill();
    const need = Math.min(amount, this.limit);
    return this.level >= need ? 0 : Math.ceil(((need - this.level) * MINUTE_MS) / this.limit);
  }

  take(amount: number): void {
    this.refill();
    this.level -= amount;
  }

  /** Put back units a request was charged but did not use (it failed before reaching the server). */
  refund(amount: number): void {
    this.refill();
    this.level = Math.min(this.limit, this.level + amount);
  }

  /** Adopt what the server says: `limit` and `level` units left now. */
  sync(limit: number | undefined, level: number): void {
    this.refill();
    if (limit !== undefined && limit > 0) this.limit = limit;
    this.level = Math.min(this.limit, level);
  }
}

/**
 * A duration as OpenAI writes it in `x-ratelimit-reset-*` headers and 429 messages (Go's
 * `time.Duration` format): `12ms`, `1s`, `9.816s`, `1m30.5s`, `6m0s`, `1h0m0s`. Also accepts a bare
 * number of seconds. Returns milliseconds, or `undefined` when the text is not a duration.
 */
export function parseOpenAIDuration(text: string | null | undefined): number | undefined {
  const s = text?.trim();
  if (!s) return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  return readGoDuration(s);
}

/** Go's `time.Duration` units, in milliseconds. */
const readGoDuration = durationReader({ h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 });

/** Read a header from a `Headers` object or a plain record. */
function header(headers: Headers | Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string>;
  return record[name] ?? record[name.toLowerCase()];
}

function numberHeader(headers: Headers | Record<string, string> | undefined, name: string): number | undefined {
  const v = header(headers, name);
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * How long a 429 or 5xx asks the client to wait: `retry-after-ms`, else `retry-after` in seconds or
 * as an HTTP date. `undefined` when the response says nothing.
 */
export function retryAfterMs(headers: Headers | Record<string, string> | undefined, now = Date.now()): number | undefined {
  const ms = numberHeader(headers, 'retry-after-ms');
  if (ms !== undefined) return ms;
  return parseRetryAfter(header(headers, 'retry-after'), now);
}

function checkPositive(name: string, value: number | undefined): void {
  if (value !== undefined) checkNumber(name, value, { above: 0 });
}

/**
 * The scheduler of one API key + base URL + model. Requests take a {@link Permit} with
 * {@link acquire} (waiting, in arrival order, until the budgets and the concurrency allow it) and
 * give it back with {@link release}, passing the response headers so the limiter learns the real
 * budgets. Servers that send no `x-ratelimit-*` headers (Ollama, vLLM, LM Studio, llama.cpp,
 * LocalAI) are limited only by the configured values, if any, and by the adaptive concurrency.
 */
export class RateLimiter {
  private readonly now: () => number;
  private requests: Bucket | undefined;
  private tokens: Bucket | undefined;
  private readonly maxConcurrency: number;
  private concurrency: number;
  private readonly inFlight = new Map<number, Permit>();
  private seq = 0;
  private pausedUntil = 0;
  private learned = false;
  private answered = false;
  private turn: Promise<void> = Promise.resolve();
  private waiting = 0;
  private slotWaiters: Array<() => void> = [];
  private failures = 0;
  private lastFailure: Error | undefined;

  constructor(options: RateLimiterOptions = {}) {
    checkPositive('requestsPerMinute', options.requestsPerMinute);
    checkPositive('tokensPerMinute', options.tokensPerMinute);
    const maxConcurrency = checkInteger('maxConcurrency', options.maxConcurrency ?? 32, { min: 1 });
    this.now = options.now ?? Date.now;
    this.maxConcurrency = maxConcurrency;
    this.concurrency = Math.min(maxConcurrency, options.initialConcurrency ?? 8);
    if (options.requestsPerMinute) this.requests = new Bucket(options.requestsPerMinute, this.now);
    if (options.tokensPerMinute) this.tokens = new Bucket(options.tokensPerMinute, this.now);
  }

  /**
   * Whether any request has been answered (or the budgets were configured): until then a client
   * should send one modest request, not a minute's worth, to learn the budgets.
   */
  get informed(): boolean {
    return this.answered || this.requests !== undefined || this.tokens !== undefined;
  }

  /** Tokens per minute, configured or learned; `undefined` while unknown. */
  get tokensPerMinute(): number | undefined {
    return this.tokens?.limit;
  }

  /** Requests per minute, configured or learned; `undefined` while unknown. */
  get requestsPerMinute(): number | undefined {
    return this.requests?.limit;
  }

  state(): RateLimiterState {
    return {
      requestsPerMinute: this.requests?.limit,
      tokensPerMinute: this.tokens?.limit,
      remainingRequests: this.requests ? Math.floor(this.requests.available()) : undefined,
      remainingTokens: this.tokens ? Math.floor(this.tokens.available()) : undefined,
      inFlight: this.inFlight.size,
      concurrency: this.concurrency,
      pausedMs: Math.max(0, this.pausedUntil - this.now()),
      learnedFromHeaders: this.learned,
    };
  }

  /** Milliseconds until a request of `tokens` fits the budgets (ignoring concurrency). */
  private waitMs(tokens: number): number {
    return Math.max(this.pausedUntil - this.now(), this.requests?.waitMs(1) ?? 0, this.tokens?.waitMs(tokens) ?? 0, 0);
  }

  /**
   * Wait until a request estimated at `tokens` may be sent, then charge it. Requests are admitted in
   * the order they asked, so a large request is not starved by small ones.
   */
  async acquire(tokens: number, signal?: AbortSignal): Promise<Permit> {
    const previous = this.turn;
    let done!: () => void;
    this.turn = new Promise((resolve) => (done = resolve));
    this.waiting++;
    const failuresBefore = this.failures;
    try {
      await previous;
      for (;;) {
        if (this.failures > failuresBefore) throw this.lastFailure;
        signal?.throwIfAborted();
        // Asked before the budget was known, now known to be too small: the server would refuse
        // it after we waited for a full bucket, so say so now (the caller may split it).
        if (this.tokens && tokens > this.tokens.limit) throw new BudgetExceededError(tokens, this.tokens.limit);
        const wait = this.waitMs(tokens);
        if (wait > 0) {
          await sleep(wait, signal);
          continue;
        }
        // Until the first answer, nothing is known: one request probes alone, so a burst cannot
        // draw a 429 on every request for a budget the server was about to announce.
        const allowed = this.answered || this.requests || this.tokens ? this.concurrency : 1;
        if (this.inFlight.size >= allowed) {
          await this.slotFreed(signal);
          continue;
        }
        break;
      }
      const permit: Permit = { seq: ++this.seq, tokens };
      this.requests?.take(1);
      this.tokens?.take(tokens);
      this.inFlight.set(permit.seq, permit);
      return permit;
    } finally {
      this.waiting--;
      done();
    }
  }

  private slotFreed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.slotWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /**
   * Give a permit back. `headers` are the response's (success or error); `outcome` says how it went:
   * `ok`, `rate-limited` (a 429: concurrency halves, everyone pauses for `retryAfterMs` when given),
   * `server-error` (concurrency halves), `not-sent` (the request never reached the server's budget,
   * e.g. a connection refused), `failed` (anything else). Error answers are refunded: the server
   * charges only the requests it serves.
   */
  release(
    permit: Permit,
    headers: Headers | Record<string, string> | undefined,
    outcome: 'ok' | 'rate-limited' | 'server-error' | 'not-sent' | 'failed',
    retryAfter?: number,
  ): void {
    if (!this.inFlight.delete(permit.seq)) return;
    if (headers !== undefined || outcome === 'ok') this.answered = true;
    // An error answer (429, 5xx) or no request at all spends nothing of the server's budget. The
    // refund comes before learning, so a server that says less is left still wins.
    if (outcome === 'not-sent' || ((outcome === 'rate-limited' || outcome === 'server-error') && headers !== undefined)) {
      this.requests?.refund(1);
      this.tokens?.refund(permit.tokens);
    }
    this.learn(permit, headers);
    if (outcome === 'rate-limited' || outcome === 'server-error') {
      this.concurrency = Math.max(1, Math.floor(this.concurrency / 2));
    } else if (outcome === 'ok' && this.waiting > 0 && this.concurrency < this.maxConcurrency) {
      this.concurrency++;
    }
    if (outcome === 'rate-limited' && retryAfter !== undefined) {
      this.pausedUntil = Math.max(this.pausedUntil, this.now() + retryAfter);
    }
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * Adopt the server's view of the budgets. The server's `remaining` counts every request it has
   * received; requests sent after this one and still in flight have probably not arrived yet, so
   * they are subtracted again.
   */
  private learn(permit: Permit, headers: Headers | Record<string, string> | undefined): void {
    const limitRequests = numberHeader(headers, 'x-ratelimit-limit-requests');
    const limitTokens = numberHeader(headers, 'x-ratelimit-limit-tokens');
    const remainingRequests = numberHeader(headers, 'x-ratelimit-remaining-requests');
    const remainingTokens = numberHeader(headers, 'x-ratelimit-remaining-tokens');
    if (limitRequests === undefined && limitTokens === undefined && remainingRequests === undefined && remainingTokens === undefined) return;
    this.learned = true;
    let others = { requests: 0, tokens: 0 };
    let later = { requests: 0, tokens: 0 };
    for (const p of this.inFlight.values()) {
      others = { requests: others.requests + 1, tokens: others.tokens + p.tokens };
      if (p.seq > permit.seq) later = { requests: later.requests + 1, tokens: later.tokens + p.tokens };
    }
    this.requests = this.adopt(this.requests, limitRequests, remainingRequests, header(headers, 'x-ratelimit-reset-requests'), others.requests, later.requests);
    this.tokens = this.adopt(this.tokens, limitTokens, remainingTokens, header(headers, 'x-ratelimit-reset-tokens'), others.tokens, later.tokens);
  }

  /**
   * Requests do not reach the server in the order they were sent (a new connection takes longer
   * than a kept-alive one), so its `remaining` counts an unknown part of the requests in flight.
   * A new or changed limit starts the budget from `remaining` less everything in flight (safe).
   * Otherwise our own accounting, charged at sending, is never behind the server's, charged at
   * arrival; only a server figure below ours (someone else spends on the key, or the estimates were
   * low) lowers it, to that figure less the requests sent after this one.
   */
  private adopt(
    bucket: Bucket | undefined,
    limit: number | undefined,
    remaining: number | undefined,
    reset: string | undefined,
    inFlight: number,
    later: number,
  ): Bucket | undefined {
    const known = limit ?? bucket?.limit;
    if (known === undefined || known <= 0) return bucket;
    let level = remaining;
    if (level === undefined) {
      // Only the reset time: the budget is full again after it, so what is left now follows.
      const resetMs = parseOpenAIDuration(reset);
      if (resetMs !== undefined) level = known - (resetMs * known) / MINUTE_MS;
    }
    if (!bucket || bucket.limit !== known) {
      const b = bucket ?? new Bucket(known, this.now);
      b.sync(known, level === undefined ? Math.min(b.available(), known - inFlight) : level - inFlight);
      return b;
    }
    // Our level has every request in flight charged, the server's only those that arrived: it can
    // only be lower than ours when someone else spends on the key or our estimates were low.
    if (level === undefined) return bucket;
    const own = bucket.available();
    if (level < own) bucket.sync(known, level - later);
    // Higher than ours even if every request in flight had arrived: we over-charged (an estimate
    // above the real count, a charge the server never made). Win it back, less everything in flight,
    // so that no request this lets through can find the server's budget short.
    else if (level - inFlight > own) bucket.sync(known, level - inFlight);
    return bucket;
  }

  /**
   * Stop every request waiting now with `error` (for example `insufficient_quota`: no request on
   * this key can succeed, and sending more would only produce more failures). Requests that ask
   * later are sent: a long-running process recovers once the account has credit again.
   */
  fail(error: Error): void {
    this.failures++;
    this.lastFailure = error;
    const waiters = this.slotWaiters;
    this.slotWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** How to find the shared limiter of a key, base URL and model. */
export interface RateLimiterKey {
  apiKey: string;
  baseURL: string;
  model: string;
}

const limiters = new Map<string, RateLimiter>();

/**
 * The process-wide limiter of an API key, base URL and model, created with `options` on first use;
 * later callers share it as it is (its budgets are the server's by then).
 */
export function sharedRateLimiter(key: RateLimiterKey, options: RateLimiterOptions = {}): RateLimiter {
  const id = `${createHash('sha256').update(key.apiKey).digest('hex').slice(0, 16)} ${key.baseURL.replace(/\/+$/, '')} ${key.model}`;
  let limiter = limiters.get(id);
  if (!limiter) {
    limiter = new RateLimiter(options);
    limiters.set(id, limiter);
  }
  return limiter;
}

/** Forget every shared limiter (tests, or a process that switches accounts). */
export function resetSharedRateLimiters(): void {
  limiters.clear();
}
