/**
 * Politeness: spacing between requests (per host, and per crawl for a requests-per-minute cap),
 * and per-host concurrency. Retry timing (sleep, backoff, `Retry-After`) is in src/net/retry.ts.
 */

import { sleep } from '../net/retry.js';

/**
 * Hands out start times at least `interval(key)` apart per key, in call order. A key with a zero
 * interval costs nothing (no timer).
 */
export class RateGate {
  private readonly next = new Map<string, number>();

  constructor(private readonly interval: (key: string) => number) {}

  /** Resolve when a request for `key` may start; reserves that slot. */
  async wait(key: string, signal?: AbortSignal): Promise<void> {
    const interval = Math.max(0, this.interval(key));
    const now = Date.now();
    const reserved = this.next.get(key);
    // Nothing reserved and no spacing: no timer, no map entry (the common case of an unthrottled crawl).
    if (interval === 0 && (reserved === undefined || reserved <= now)) return;
    const slot = Math.max(now, reserved ?? 0);
    this.next.set(key, slot + interval);
    await sleep(slot - now, signal);
  }

  /** Push the next slot of `key` back to at least `until` (epoch ms), e.g. after a `Retry-After`. */
  deferUntil(key: string, until: number): void {
    this.next.set(key, Math.max(this.next.get(key) ?? 0, until));
  }
}

/** At most `limit` holders per key at once; waiters are served in arrival order. */
export class KeyedSemaphore {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(private readonly limit: number) {}

  /** Resolve with a release function once a slot for `key` is free. */
  async acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    if ((this.active.get(key) ?? 0) >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const queue = this.waiting.get(key) ?? [];
        const onAbort = (): void => {
          const index = queue.indexOf(wake);
          if (index !== -1) queue.splice(index, 1);
          reject(signal?.reason);
        };
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        queue.push(wake);
        this.waiting.set(key, queue);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } else {
      this.active.set(key, (this.active.get(key) ?? 0) + 1);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.get(key)?.shift();
      // The slot passes straight to the next waiter; otherwise it is freed.
      if (next) next();
      else this.active.set(key, (this.active.get(key) ?? 1) - 1);
    };
  }
}
