/**
 * The LLM listwise reranker over a real HTTP chat model (the stand-in answering as a model would):
 * the prompt carries the question and numbered passages within the budget, and the reply's order
 * becomes the ranking.
 */
import { startOpenAIStandIn, type OpenAIStandIn, type StandInChatMessage } from './stand-in/openai-stand-in.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { createLlmReranker } from '../src/models/rerank/llm-reranker.js';
import { rerankResults } from '../src/retrieval/rerank.js';
import type { SearchResult } from '../src/retrieval/types.js';

describe('LLM reranker', () => {
  let standIn: OpenAIStandIn;
  const prompts: StandInChatMessage[][] = [];
  beforeAll(async () => {
    standIn = await startOpenAIStandIn({
      respond: (messages) => {
        prompts.push(messages);
        return '3, 1';
      },
    });
  });
  afterAll(() => standIn?.close());

  const result = (n: number, text: string): SearchResult => ({ chunkId: n, url: `https://d.test/p${n}`, title: `Page ${n}`, headingPath: [], ordinal: 0, text, tokenCount: 10, metadata: {}, score: 1 / n });

  test('the chat model orders the passages; those it leaves out follow in retrieved order; each passage is cut to its share of the budget', async () => {
    const chat = createOpenAIChat({ baseURL: standIn.url, apiKey: 'sk-test', model: 'gpt-4o-mini' });
    const reranker = createLlmReranker(chat, { maxPromptTokens: 100 });
    const long = 'word '.repeat(500);
    const ranked = await rerankResults([result(1, 'Retries back off.'), result(2, long), result(3, 'A failing job is retried five times.')], reranker, 'how many retries?');
    expect(ranked.map((r) => r.chunkId)).toEqual([3, 1, 2]);
    expect(ranked.map((r) => r.relevanceScore)).toEqual([1, 1 - 1 / 3, 1 - 2 / 3]);
    const user = prompts[0]!.find((m) => m.role === 'user')!.content;
    expect(user).toMatch(/^Question: how many retries\?/);
    expect(user).toContain('[3] Page 3\n\nA failing job is retried five times.');
    // 100 tokens over 3 passages: the long one is cut to ~33 tokens, not sent whole.
    expect((user.match(/word/g) ?? []).length).toBeLessThan(40);
  });
});
