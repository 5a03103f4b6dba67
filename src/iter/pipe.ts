/**
 * Stages are functions from an async iterable to an async iterable. `pipe` composes them left to
 * right; typing is checked pairwise for up to eight stages. The source may also be an array or any
 * other sync iterable (`pipe([doc], extract, ...)`): it is read one item at a time, as pulled.
 */

/** A stage: takes a source, yields results. */
export type Stage<I, O> = (source: AsyncIterable<I>) => AsyncIterable<O>;

/** What `pipe`, `drain` and `collect` read: an async iterable, an array or another sync iterable. */
export type PipeSource<T> = AsyncIterable<T> | Iterable<T>;

/**
 * The source as an async iterable. A sync iterable is read lazily, so a consumer that stops early
 * stops the source too (its `return` runs, as `for...of` would run it).
 */
function toAsync<T>(source: PipeSource<T>): AsyncIterable<T> {
  if (typeof (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] === 'function') return source as AsyncIterable<T>;
  return (async function* () {
    yield* source as Iterable<T>;
  })();
}

export function pipe<A>(source: PipeSource<A>): AsyncIterable<A>;
export function pipe<A, B>(source: PipeSource<A>, s1: Stage<A, B>): AsyncIterable<B>;
export function pipe<A, B, C>(source: PipeSource<A>, s1: Stage<A, B>, s2: Stage<B, C>): AsyncIterable<C>;
export function pipe<A, B, C, D>(source: PipeSource<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>): AsyncIterable<D>;
export function pipe<A, B, C, D, E>(source: PipeSource<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>): AsyncIterable<E>;
export function pipe<A, B, C, D, E, F>(source: PipeSource<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>): AsyncIterable<F>;
export function pipe<A, B, C, D, E, F, G>(source: PipeSource<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>, s6: Stage<F, G>): AsyncIterable<G>;
export function pipe<A, B, C, D, E, F, G, H>(source: PipeSource<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>, s6: Stage<F, G>, s7: Stage<G, H>): AsyncIterable<H>;
/** Compose `source` with `stages`, left to right. */
export function pipe(source: PipeSource<unknown>, ...stages: Array<Stage<unknown, unknown>>): AsyncIterable<unknown> {
  return stages.reduce((acc, stage) => stage(acc), toAsync(source));
}

/** Drain a source, returning how many items it yielded. */
export async function drain(source: PipeSource<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of source) n++;
  return n;
}

/** Collect a source into an array. */
export async function collect<T>(source: PipeSource<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
