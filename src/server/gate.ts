/**
 * A bounded queue in front of expensive work (model calls, searches): at most `concurrency` run,
 * at most `maxQueue` wait, and anything beyond is refused at once with a 503 — so a burst of
 * clients gets quick, clean refusals instead of a server that runs out of memory or times out.
 */
import { checkInteger } from '../options/check.js';
import { HttpError } from './http.js';

/** Options of {@link Gate}. */
export interface GateOptions {
  /** Name used in the busy message, e.g. `answers`. */
  name: string;
  /** Work running at once. */
  concurrency: number;
  /** Work waiting for a slot; more is refused with 503. */
  maxQueue: number;
  /**
   * `retry-after` of the 503, in seconds.
   * @default 1
   */
  retryAfterSeconds?: number;
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (err: unknown) => void;
}

export class Gate {
  readonly #options: Required<GateOptions>;
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(options: GateOptions) {
    checkInteger('concurrency', options.concurrency, { min: 1, of: options.name });
    checkInteger('maxQueue', options.maxQueue, { min: 0, of: options.name });
    this.#options = { retryAfterSeconds: 1, ...options };
  }

  /** Work running now. */
  get active(): number {
    return this.#active;
  }

  /** Work waiting now. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Wait for a slot; the returned function releases it (call it exactly once, in `finally`).
   * Throws a 503 `HttpError` when the queue is full, and the signal's reason when it aborts first.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#active < this.#options.concurrency) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#queue.length >= this.#options.maxQueue) {
      const { name, retryAfterSeconds } = this.#options;
      return Promise.reject(
        new HttpError(503, 'server_busy', `The server is busy (${this.#active} ${name} running, ${this.#queue.length} waiting): retry in a moment.`, {
          headers: { 'retry-after': String(retryAfterSeconds) },
        }),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.#queue.indexOf(waiter);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter; `active` is unchanged.
      if (next) next.resolve(this.#releaser());
      else this.#active--;
    };
  }
}
