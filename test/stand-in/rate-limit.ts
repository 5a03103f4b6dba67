/**
 * OpenAI-style rate limiting: a request and token budget per model that refills continuously over
 * a minute, and the duration format of the `x-ratelimit-reset-*` headers.
 */

/** The window a per-minute limit refills over. */
const MINUTE_MS = 60_000;

/**
 * A budget of `limit` units that refills at `limit` per minute, continuously: after spending it all,
 * half is back 30 s later. This is how OpenAI describes its limits ("the reset time is when the
 * budget is full again"), and unlike a fixed window it never allows a burst of twice the limit.
 */
export class RefillingBudget {
  private level: number;
  private updatedAt: number;

  /**
   * @param limit Units per minute, at least 1.
   * @param now Clock in milliseconds (injectable for tests).
   */
  constructor(
    readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {
    this.level = limit;
    this.updatedAt = now();
  }

  private refill(): void {
    const t = this.now();
    this.level = Math.min(this.limit, this.level + ((t - this.updatedAt) * this.limit) / MINUTE_MS);
    this.updatedAt = t;
  }

  /** Whole units available now (the `x-ratelimit-remaining-*` value). */
  remaining(): number {
    this.refill();
    return Math.max(0, Math.floor(this.level));
  }

  /** Units spent and not yet refilled (the "Used" of the 429 message). */
  used(): number {
    this.refill();
    return Math.min(this.limit, Math.ceil(this.limit - this.level));
  }

  /** Milliseconds until `amount` units are available; 0 when they are now. */
  waitMs(amount: number): number {
    this.refill();
    return this.level >= amount ? 0 : ((amount - this.level) * MINUTE_MS) / this.limit;
  }

  /** Milliseconds until the budget is full again (the `x-ratelimit-reset-*` value). */
  resetMs(): number {
    this.refill();
    return ((this.limit - this.level) * MINUTE_MS) / this.limit;
  }

  /** Spend `amount` units (the caller checked `waitMs(amount) === 0`). */
  take(amount: number): void {
    this.refill();
    this.level -= amount;
  }
}

/**
 * A duration the way OpenAI writes it in `x-ratelimit-reset-*` headers and "Please try again in
 * ..." messages (Go's `time.Duration` format at millisecond precision): `12ms`, `1s`, `9.816s`,
 * `1m30.5s`, `6m0s`, `1h0m0s`. Rounds up, so a client that waits this long finds its budget back.
 */
export function formatOpenAIDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = ((total % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
