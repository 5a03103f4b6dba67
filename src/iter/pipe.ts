/**
 * Stages are functions from an async iterable to an async iterable. `pipe` composes them left to
 * right; typing is checked pairwise for up to eight stages.
 */

/** A stage: takes a source, yields results. */
export type Stage<I, O> = (source: AsyncIterable<I>) => AsyncIterable<O>;

export function pipe<A>(source: AsyncIterable<A>): AsyncIterable<A>;
export function pipe<A, B>(source: AsyncIterable<A>, s1: Stage<A, B>): AsyncIterable<B>;
export function pipe<A, B, C>(source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>): AsyncIterable<C>;
export function pipe<A, B, C, D>(source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>): AsyncIterable<D>;
export function pipe<A, B, C, D, E>(source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>): AsyncIterable<E>;
export function pipe<A, B, C, D, E, F>(source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>): AsyncIterable<F>;
export function pipe<A, B, C, D, E, F, G>(source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>, s6: Stage<F, G>): AsyncIterable<G>;
export function pipe<A, B, C, D, E, F, G, H>(source: AsyncIterable<A>, s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>, s6: Stage<F, G>, s7: Stage<G, H>): AsyncIterable<H>;
/** Compose `source` with `stages`, left to right. */
export function pipe(source: AsyncIterable<unknown>, ...stages: Array<Stage<unknown, unknown>>): AsyncIterable<unknown> {
  return stages.reduce((acc, stage) => stage(acc), source);
}

/** Drain an async iterable, returning how many items it yielded. */
export async function drain(source: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of source) n++;
  return n;
}

/** Collect an async iterable into an array. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
