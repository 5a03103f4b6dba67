import { createLexicalEmbedding, lexicalVector } from '../src/models/local/lexical-embedding.js';
import { createExtractiveChat, extractAnswer, DONT_KNOW } from '../src/models/local/extractive-chat.js';
import { answerGrounding, buildAnswerMessages } from '../src/core/prompt.js';
import { stem } from '../src/models/local/terms.js';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('lexical embedding', () => {
  test('vectors are unit length and deterministic', async () => {
    const model = createLexicalEmbedding();
    const { embeddings, usage } = await model.embed({ inputs: ['Throttling requests per user', 'Throttling requests per user'] });
    expect(embeddings[0]!.length).toBe(1024);
    expect(cosine(embeddings[0]!, embeddings[0]!)).toBeCloseTo(1, 5);
    expect(Array.from(embeddings[0]!)).toEqual(Array.from(embeddings[1]!));
    expect(usage.inputTokens).toBeGreaterThan(0);
  });

  test('texts sharing stemmed words are closer than unrelated texts', () => {
    const q = lexicalVector('how do I throttle requests?', 1024);
    const near = lexicalVector('Throttling limits the rate of requests.', 1024);
    const far = lexicalVector('Serializers convert model instances to JSON.', 1024);
    expect(cosine(q, near)).toBeGreaterThan(0.3);
    expect(cosine(q, far)).toBeLessThan(0.1);
  });

  test('the stemmer joins inflections', () => {
    expect(stem('throttling')).toBe(stem('throttle'));
    expect(stem('requests')).toBe(stem('request'));
    expect(stem('retries')).toBe(stem('retry'));
  });
});

describe('extractive answerer', () => {
  const sources = [
    { number: 1, text: 'Failed jobs are retried five times by default. The delay doubles after each attempt.' },
    { number: 2, text: 'The dashboard shows queue depth and throughput.' },
  ];

  test('quotes the sentences that answer, with their source numbers', () => {
    const picks = extractAnswer('how many times are failed jobs retried?', sources);
    expect(picks[0]).toEqual({ source: 1, sentence: 'Failed jobs are retried five times by default.' });
  });

  test("says it doesn't know when no sentence covers the question", async () => {
    const chat = createExtractiveChat();
    let text = '';
    const prompt = [{ number: 1, url: 'u', title: 't', passages: [sources[1]!.text] }];
    const question = 'what license is the project under?';
    for await (const part of chat.stream({ messages: buildAnswerMessages(prompt, question), grounding: answerGrounding(prompt, question), maxOutputTokens: 100 })) {
      if (part.type === 'text') text += part.text;
    }
    expect(text).toBe(DONT_KNOW);
  });

  test('streams a cited answer from ragline prompts and respects the output limit', async () => {
    const chat = createExtractiveChat();
    const prompt = [{ number: 1, url: 'u', title: 't', passages: [sources[0]!.text] }];
    const messages = buildAnswerMessages(prompt, 'how many times are failed jobs retried?');
    const grounding = answerGrounding(prompt, 'how many times are failed jobs retried?');
    const parts: string[] = [];
    let finish: unknown;
    for await (const part of chat.stream({ messages, grounding, maxOutputTokens: 500 })) {
      if (part.type === 'text') parts.push(part.text);
      else finish = part;
    }
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toContain('retried five times by default. [1]');
    expect(finish).toMatchObject({ type: 'finish', finishReason: 'stop' });
    let short = '';
    for await (const part of chat.stream({ messages, grounding, maxOutputTokens: 3 })) {
      if (part.type === 'text') short += part.text;
      else expect(part.finishReason).toBe('length');
    }
    expect(short.split(' ').length).toBeLessThanOrEqual(3);
  });
});
