/**
 * The stand-in's default embedding: feature hashing of words and word pairs. It is deterministic
 * and cheap, and texts sharing words get similar vectors, so retrieval tests over the stand-in
 * rank passages meaningfully (by lexical overlap) instead of at random.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

/** 32-bit FNV-1a of the UTF-8 bytes of `text`. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** Weight of a word pair relative to a single word: pairs sharpen matches on phrases without swamping words. */
const PAIR_WEIGHT = 0.5;

/**
 * A deterministic unit-length embedding of `text` in `dimensions` components.
 *
 * The features are the lower-cased words (runs of letters and digits) and each pair of adjacent
 * words. Each feature is hashed with FNV-1a: the low 31 bits pick a component and the top bit
 * its sign (so unrelated features cancel out on average instead of piling up), and the vector is
 * L2-normalised so cosine similarity and inner product agree, as with OpenAI's embeddings.
 * A text without any word (punctuation only) hashes as one feature of its own, so no text gets
 * the zero vector, whose cosine distance is undefined.
 *
 * @param text The text to embed; not empty.
 * @param dimensions Length of the vector, at least 1.
 */
export function featureHashEmbedding(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const add = (feature: string, weight: number): void => {
    const hash = fnv1a32(feature);
    const index = (hash & 0x7fffffff) % dimensions;
    vector[index] = (vector[index] ?? 0) + (hash & 0x80000000 ? -weight : weight);
  };
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) add(text, 1);
  words.forEach((word, i) => {
    add(word, 1);
    const next = words[i + 1];
    if (next !== undefined) add(`${word} ${next}`, PAIR_WEIGHT);
  });
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  // Features can cancel exactly (a word and a pair landing on one component with opposite signs);
  // fall back to a fixed unit vector rather than dividing by zero.
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] ?? 0) / norm;
  return vector;
}

/** Base64 of the little-endian float32 bytes of `vector`: the API's `encoding_format: "base64"`. */
export function float32ToBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}
