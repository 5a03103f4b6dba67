/**
 * Group items into batches whose summed `weight` stays within `maxWeight` (an item heavier than
 * that travels alone) and that hold at most `maxItems` items. With `maxWaitMs`, a partial batch
 * also goes out once its first item has waited that long for the next (a slow source still
 * delivers within `maxWaitMs`).
 */
export async function* batchBy<T>(
  source: AsyncIterable<T>,
  options: { maxWeight: number; maxItems?: number; weight: (item: T) => number; maxWaitMs?: number },
): AsyncGenerator<T[]> {
  const it = source[Symbol.asyncIterator]();
  let batch: T[] = [];
  let weight = 0;
  let since = 0;
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      pending ??= it.next();
      if (batch.length > 0 && options.maxWaitMs !== undefined && (await settledWithin(pending, since + options.maxWaitMs - Date.now())) === 'late') {
        yield batch;
        batch = [];
        weight = 0;
        continue;
      }
      const next = await pending;
      pending = undefined;
      if (next.done) break;
      const item = next.value;
      const w = options.weight(item);
      if (batch.length > 0 && (weight + w > options.maxWeight || batch.length >= (options.maxItems ?? Infinity))) {
        yield batch;
        batch = [];
        weight = 0;
      }
      if (batch.length === 0) since = Date.now();
      batch.push(item);
      weight += w;
    }
    if (batch.length > 0) yield batch;
  } finally {
    // Stopped early: let the source clean up (after the item it is producing, if any).
    if (pending) void pending.then(() => it.return?.()).catch(() => undefined);
    else await it.return?.();
  }
}

/** Whether `promise` settles within `ms` (`'late'` if not; it is left running). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<'settled' | 'late'> {
  if (ms <= 0) return Promise.race([promise.then(() => 'settled' as const, () => 'settled' as const), Promise.resolve('late' as const)]);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([promise.then(() => 'settled' as const, () => 'settled' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The synchronous counterpart of {@link batchBy}, for arrays. */
export function splitBy<T>(items: readonly T[], options: { maxWeight: number; maxItems: number; weight: (item: T) => number }): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let weight = 0;
  for (const item of items) {
    const w = options.weight(item);
    if (batch.length > 0 && (weight + w > options.maxWeight || batch.length >= options.maxItems)) {
      out.push(batch);
      batch = [];
      weight = 0;
    }
    batch.push(item);
    weight += w;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}
