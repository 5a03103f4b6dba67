import { checkInteger } from '../options/check.js';

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
 * a slow consumer slows the producer; and a finished head is yielded at once, without waiting for a
 * slow source to produce its next item. The first error reaches the consumer; a consumer that stops
 * early stops the source.
 */
export async function* parallelMap<T, U>(
  source: AsyncIterable<T>,
  fn: (item: T) => Promise<U>,
  options: ParallelMapOptions = {},
): AsyncGenerator<U> {
  const concurrency = checkInteger('concurrency', options.concurrency ?? 4, { min: 1 });
  const iterator = source[Symbol.asyncIterator]();
  const pending: Array<{ result: Promise<U>; settled: Promise<'head'> }> = [];
  let next: Promise<IteratorResult<T>> | undefined;
  let done = false;
  try {
    for (;;) {
      while (!done && pending.length < concurrency) {
        next ??= iterator.next();
        // With work in flight, wait for whichever comes first: the head's result or the next item.
        if (pending.length > 0 && (await Promise.race([pending[0]!.settled, next.then(() => 'next' as const)])) === 'head') break;
        const item = await next;
        next = undefined;
        if (item.done) {
          done = true;
          break;
        }
        const result = fn(item.value);
        // Errors are delivered in order when the result is awaited; this keeps Node from
        // reporting them as unhandled in the meantime.
        const settled = result.then(
          () => 'head' as const,
          () => 'head' as const,
        );
        pending.push({ result, settled });
      }
      const head = pending.shift();
      if (!head) return;
      yield await head.result;
    }
  } finally {
    if (!done) {
      // With a read still pending, an async generator queues `return` behind it: don't wait for a
      // stalled source, just ask it to stop.
      const closing = iterator.return?.();
      if (next) void closing?.catch(() => undefined);
      else await closing;
    }
  }
}
