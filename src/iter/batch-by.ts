/**
 * Group items into batches whose summed `weight` stays within `maxWeight` (an item heavier than
 * that travels alone) and that hold at most `maxItems` items.
 */
export async function* batchBy<T>(
  source: AsyncIterable<T>,
  options: { maxWeight: number; maxItems?: number; weight: (item: T) => number },
): AsyncGenerator<T[]> {
  let batch: T[] = [];
  let weight = 0;
  for await (const item of source) {
    const w = options.weight(item);
    if (batch.length > 0 && (weight + w > options.maxWeight || batch.length >= (options.maxItems ?? Infinity))) {
      yield batch;
      batch = [];
      weight = 0;
    }
    batch.push(item);
    weight += w;
  }
  if (batch.length > 0) yield batch;
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
