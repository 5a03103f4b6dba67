/**
 * A listwise LLM reranker: the chat model sees the query and the numbered passages (each cut to
 * fit a token budget) and replies with the passage numbers, most relevant first.
 */
import { ConfigError, ModelError } from '../../errors.js';
import { chatCapabilities } from '../capabilities.js';
import { getTokenizer } from '../tokenizer.js';
import type { ChatModel, Reranker, RerankRequest, RerankResult } from '../spec.js';

/** Options of {@link createLlmReranker}. */
export interface LlmRerankerOptions {
  /**
   * Prompt tokens for the passages of one call, shared evenly (each passage cut to its share).
   * @default 6000
   */
  maxPromptTokens?: number;
  /** Passages per call. @default 30 */
  maxDocumentsPerCall?: number;
}

const INSTRUCTIONS =
  'You rank passages by how well they answer a question. Reply with the numbers of the passages, most relevant first, separated by commas, and nothing else. Leave out passages that do not help at all.';

/**
 * Parse a ranking reply (`3, 1, 7`) into indexes: unknown or repeated numbers ignored; passages the
 * reply leaves out follow in their retrieved order.
 */
export function parseRanking(reply: string, documents: number): number[] {
  const order: number[] = [];
  for (const m of reply.matchAll(/\d+/g)) {
    const i = Number(m[0]) - 1;
    if (i >= 0 && i < documents && !order.includes(i)) order.push(i);
  }
  for (let i = 0; i < documents; i++) if (!order.includes(i)) order.push(i);
  return order;
}

/** A reranker that asks `chat` to order the passages. The model must generate text (not the offline extractive one). */
export function createLlmReranker(chat: ChatModel, options: LlmRerankerOptions = {}): Reranker {
  if (!chatCapabilities(chat).generatesText) {
    throw new ConfigError('reranker', `llm/${chat.modelId}`, `The LLM reranker needs a chat model that writes text; ${chat.provider}/${chat.modelId} only quotes its sources. Use a real chat model (OPENAI_API_KEY or OPENAI_BASE_URL) or a /rerank endpoint.`);
  }
  const tokenizer = getTokenizer(chat.encoding);
  const budget = options.maxPromptTokens ?? 6000;
  return {
    provider: 'llm',
    modelId: chat.modelId,
    maxDocumentsPerCall: options.maxDocumentsPerCall ?? 30,
    async rerank(request: RerankRequest): Promise<RerankResult> {
      const n = request.documents.length;
      const share = Math.max(32, Math.floor(budget / Math.max(1, n)));
      const cut = (d: string) => {
        const tokens = tokenizer.encode(d);
        return tokens.length <= share ? d : tokenizer.decode(tokens.slice(0, share));
      };
      const passages = request.documents.map((d, i) => `[${i + 1}] ${cut(d)}`).join('\n\n');
      let reply = '';
      for await (const part of chat.stream({
        messages: [
          { role: 'system', content: INSTRUCTIONS },
          { role: 'user', content: `Question: ${request.query}\n\nPassages:\n\n${passages}` },
        ],
        maxOutputTokens: Math.min(chat.maxOutputTokens, 8 + 4 * n),
        temperature: 0,
        ...(request.signal ? { signal: request.signal } : {}),
      })) {
        if (part.type === 'text') reply += part.text;
      }
      if (!/\d/.test(reply)) throw new ModelError('llm', chat.modelId, `The LLM reranker ${chat.provider}/${chat.modelId} replied without passage numbers: ${reply.slice(0, 120)}`);
      const order = parseRanking(reply, n);
      return { results: order.map((index, rank) => ({ index, relevanceScore: 1 - rank / n })) };
    },
  };
}
