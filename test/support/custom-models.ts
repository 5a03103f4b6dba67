/**
 * Models a user could write: no network, deterministic, speaking only the spec. They are real
 * implementations of `EmbeddingModel`, `ChatModel` and `Reranker`, recording their calls.
 */
import { createHash } from 'node:crypto';
import type { ChatModel, ChatRequest, ChatStreamPart, EmbeddingModel, EmbedRequest, Reranker, RerankRequest } from '../../src/models/spec.js';

const words = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

/** A bag-of-words embedder hashing each word into `dimensions` buckets, normalised. */
export function wordHashEmbedding(options: { provider?: string; modelId?: string; dimensions?: number } = {}): EmbeddingModel & { calls: EmbedRequest[] } {
  const dimensions = options.dimensions ?? 64;
  const calls: EmbedRequest[] = [];
  return {
    provider: options.provider ?? 'mine',
    modelId: options.modelId ?? 'word-hash',
    dimensions,
    encoding: 'cl100k_base',
    maxInputTokens: 8191,
    maxInputsPerCall: 16,
    maxTokensPerCall: 100_000,
    calls,
    async embed(request) {
      calls.push(request);
      const embeddings = request.inputs.map((text) => {
        const v = new Float32Array(dimensions);
        for (const w of words(text)) v[createHash('md5').update(w).digest().readUInt32LE(0) % dimensions]! += 1;
        const norm = Math.hypot(...v) || 1;
        return v.map((x) => x / norm);
      });
      return { embeddings, usage: { inputTokens: request.inputs.join(' ').length, outputTokens: 0 } };
    },
  };
}

/** A chat model that answers by quoting the first source of its grounding, cited. */
export function quotingChat(options: { provider?: string; capabilities?: ChatModel['capabilities'] } = {}): ChatModel & { calls: ChatRequest[] } {
  const calls: ChatRequest[] = [];
  return {
    provider: options.provider ?? 'mine',
    modelId: 'quote-first',
    contextWindow: 16_000,
    maxOutputTokens: 1000,
    encoding: 'cl100k_base',
    ...(options.capabilities ? { capabilities: options.capabilities } : {}),
    calls,
    async *stream(request): AsyncGenerator<ChatStreamPart> {
      calls.push(request);
      const first = request.grounding?.sources[0];
      yield { type: 'text', text: first ? `${first.text.split('\n')[0]} [${first.number}]` : "I don't know." };
      yield { type: 'finish', finishReason: 'stop' };
    },
  };
}

/** A reranker that puts first the documents containing `word`, in their given order. */
export function wordReranker(word: string): Reranker & { calls: RerankRequest[] } {
  const calls: RerankRequest[] = [];
  return {
    provider: 'mine',
    modelId: `prefers-${word}`,
    maxDocumentsPerCall: 4,
    calls,
    async rerank(request) {
      calls.push(request);
      const results = request.documents.map((d, index) => ({ index, relevanceScore: (words(d).includes(word) ? 1 : 0) + 0.001 * (request.documents.length - index) }));
      return { results: results.sort((a, b) => b.relevanceScore - a.relevanceScore) };
    },
  };
}
