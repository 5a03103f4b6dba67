import pgvector from 'pgvector';

/**
 * pgvector's HNSW index takes at most 2000 dimensions of `vector` and 4000 of `halfvec`: larger
 * collections (text-embedding-3-large, 3072 d) are indexed and searched as half precision.
 */
export function vectorType(dimensions: number): string {
  return dimensions > 2000 ? `halfvec(${dimensions})` : `vector(${dimensions})`;
}

/** The operator class matching the cosine-distance operator `<=>` for that type. */
export function cosineOpsClass(dimensions: number): string {
  return dimensions > 2000 ? 'halfvec_cosine_ops' : 'vector_cosine_ops';
}

/**
 * pgvector text form of a vector. Nine significant digits round-trip any float32 exactly, and
 * are about half the text of a widened double's seventeen: the database parses every byte of it.
 */
export function toVectorText(v: Float32Array | readonly number[]): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) {
    if (i > 0) out += ',';
    out += String(Number((v[i] as number).toPrecision(9)));
  }
  return `${out}]`;
}

/** Parse pgvector text form. */
export function fromVectorText(text: string): Float32Array {
  return Float32Array.from(pgvector.fromSql(text) as number[]);
}

/** A safe integer to inline in SQL (ids and dimensions come from our own tables). */
export function sqlInt(n: number): string {
  if (!Number.isSafeInteger(n)) throw new TypeError(`Expected an integer, got ${n}`);
  return String(n);
}
