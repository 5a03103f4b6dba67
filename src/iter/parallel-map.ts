import { ConfigError, describeValue } from '../errors.js';

/** Options of {@link parallelMap}. */
export interface ParallelMapOptions {
  /**
   * Items in flight at once.
   * @default 4
   */
  concurrency?: number;
}

/**
 * Map `fn` over `source` with at most `concurrency` calls in flight, yielding results in source
 * order. Pull-based: the source is read only while fewer than `concurrency` items are pending, so
 * a slow consumer slows the producer. The first error reaches the consumer; a consumer that stops
 * early stops the source.
 */
export async function* parallelMap<T, U>(
  source: AsyncIterable<T>,
  fn: (item: T) => Promise<U>,
  options: ParallelMapOptions = {},
): AsyncGenerator<U> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('concurrency', concurrency, `Expected \`concurrency\` to be an integer from 1 and up, got ${describeValue(concurrency)}.`);
  }
  const iterator = source[Symbol.asyncIterator]();
  const pending: Array<Promise<U>> = [];
  let done = false;
  try {
    for (;;) {
      while (!done && pending.length < concurrency) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        const promise = fn(next.value);
        // Errors are delivered in order when the promise is awaited; this keeps Node from
        // reporting them as unhandled in the meantime.
        promise.catch(() => undefined);
        pending.push(promise);
      }
      const head = pending.shift();
      if (!head) return;
      yield await head;
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}
