/**
 * Per-client rate limiting: a token bucket per API key (or per address when no keys are used),
 * refilled continuously. A refused request learns when to come back (`retry-after`).
 */
import { checkNumber } from '../options/check.js';
import { SERVER_DEFAULTS } from '../options/defaults.js';

/** Options of {@link RateLimiter}. */
export interface RateLimitOptions {
  /**
   * Sustained requests per minute allowed to one client.
   * @default 60
   */
  requestsPerMinute?: number;
  /**
   * Requests one client may make in a burst.
   * @default requestsPerMinute
   */
  burst?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly perMs: number;
  readonly burst: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimitOptions = {}, private readonly now: () => number = () => performance.now()) {
    const rpm = checkNumber('requestsPerMinute', options.requestsPerMinute ?? SERVER_DEFAULTS.requestsPerMinute, { above: 0 });
    const burst = checkNumber('burst', options.burst ?? rpm, { above: 0 });
    this.perMs = rpm / 60_000;
    this.burst = burst;
  }

  /** Take one request from `client`'s bucket: 0 when allowed, else the milliseconds to wait. */
  take(client: string): number {
    const now = this.now();
    let bucket = this.#buckets.get(client);
    if (!bucket) {
      if (this.#buckets.size >= 10_000) this.#forgetFull(now);
      bucket = { tokens: this.burst, at: now };
      this.#buckets.set(client, bucket);
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.perMs);
  }

  /** Buckets that have refilled are the same as no bucket: drop them to bound memory. */
  #forgetFull(now: number): void {
    for (const [client, b] of this.#buckets) if (b.tokens + (now - b.at) * this.perMs >= this.burst) this.#buckets.delete(client);
  }
}
