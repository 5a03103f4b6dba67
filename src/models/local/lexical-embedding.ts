import type { EmbeddingModel, EmbedRequest, EmbedResult } from '../spec.js';
import { getTokenizer } from '../tokenizer.js';
import { terms } from './terms.js';
import { checkInteger } from '../../options/check.js';

/** Options of the offline lexical embedding. */
export interface LexicalEmbeddingOptions {
  /**
   * Vector length. Larger means fewer hash collisions.
   * @default 1024
   */
  dimensions?: number;
}

/** The model id the lexical embedding is stored under. */
export const LEXICAL_EMBEDDING_ID = 'lexical-hash-v1';

// FNV-1a, 32 bit: fast, stable across platforms and releases, so stored vectors stay comparable.
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function add(vector: Float32Array, feature: string, weight: number): void {
  const h = fnv1a(feature);
  // The top bit picks the sign so that collisions cancel out on average instead of piling up.
  vector[h % vector.length]! += h & 0x80000000 ? -weight : weight;
}

/**
 * A lexical vector for `text`: its stemmed words and adjacent word pairs, feature-hashed into
 * `dimensions` signed buckets with sub-linear term frequency, L2-normalised. Cosine similarity of
 * two such vectors measures shared vocabulary, not meaning: it finds "throttle" for "throttling"
 * but not for "rate limit".
 */
export function lexicalVector(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const words = terms(text);
  const counts = new Map<string, number>();
  for (let i = 0; i < words.length; i++) {
    counts.set(words[i]!, (counts.get(words[i]!) ?? 0) + 1);
    if (i > 0) {
      const pair = `${words[i - 1]} ${words[i]}`;
      counts.set(pair, (counts.get(pair) ?? 0) + 0.5);
    }
  }
  for (const [feature, count] of counts) add(vector, feature, 1 + Math.log(count));
  let norm = 0;
  for (const v of vector) norm += v * v;
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < vector.length; i++) vector[i]! *= scale;
  }
  return vector;
}

/**
 * The offline embedding model of the `local` provider: feature-hashed words and word pairs
 * (see {@link lexicalVector}). No network, no key, deterministic. It is a lexical model, not a
 * semantic one; use it to try ragline or to run tests, and a real embedding model for production.
 */
export function createLexicalEmbedding(options: LexicalEmbeddingOptions = {}): EmbeddingModel {
  const dimensions = checkInteger('dimensions', options.dimensions ?? 1024, { min: 16, max: 16_000 });
  const tokenizer = getTokenizer('cl100k_base');
  return {
    provider: 'local',
    modelId: LEXICAL_EMBEDDING_ID,
    dimensions,
    encoding: 'cl100k_base',
    maxInputTokens: 8191,
    maxInputsPerCall: 2048,
    maxTokensPerCall: 300_000,
    async embed(request: EmbedRequest): Promise<EmbedResult> {
      request.signal?.throwIfAborted();
      let tokens = 0;
      const embeddings = request.inputs.map((text) => {
        tokens += tokenizer.count(text);
        return lexicalVector(text, dimensions);
      });
      return { embeddings, usage: { inputTokens: tokens, outputTokens: 0 } };
    },
  };
}
