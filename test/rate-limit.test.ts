import OpenAI from 'openai';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { BudgetExceededError, RateLimiter, parseOpenAIDuration, retryAfterMs, sharedRateLimiter } from '../src/models/openai/rate-limiter.js';
import { sendWithRetries } from '../src/models/openai/send.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { ModelError } from '../src/errors.js';

const embeddingCalls = (s: OpenAIStandIn) => s.requests.filter((r) => r.path === '/v1/embeddings');

describe('OpenAI durations and retry-after', () => {
  test.each([
    ['6m0s', 360_000],
    ['1s', 1000],
    ['12ms', 12],
    ['1m30.5s', 90_500],
    ['9.816s', 9816],
    ['1h0m0s', 3_600_000],
    ['0s', 0],
    ['2', 2000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseOpenAIDuration(text)).toBeCloseTo(ms, 6);
  });

  test.each(['', 'soon', '5x', '1m30', undefined])('%p is not a duration', (text) => {
    expect(parseOpenAIDuration(text)).toBeUndefined();
  });

  test('retry-after-ms wins over retry-after; an HTTP date counts from now', () => {
    expect(retryAfterMs({ 'retry-after': '2', 'retry-after-ms': '1500' })).toBe(1500);
    expect(retryAfterMs({ 'retry-after': '2' })).toBe(2000);
    expect(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4000)).toBe(6000);
    expect(retryAfterMs({})).toBeUndefined();
  });
});

describe('rate limiter bookkeeping', () => {
  test('learns limits and what is left from x-ratelimit headers', async () => {
    const limiter = new RateLimiter();
    expect(limiter.state().requestsPerMinute).toBeUndefined();
    const permit = await limiter.acquire(10);
    limiter.release(
      permit,
      {
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-remaining-requests': '40',
        'x-ratelimit-limit-tokens': '150000',
        'x-ratelimit-reset-tokens': '30s',
      },
      'ok',
    );
    const state = limiter.state();
    expect(state.learnedFromHeaders).toBe(true);
    expect(state.requestsPerMinute).toBe(100);
    expect(state.tokensPerMinute).toBe(150_000);
    expect(state.remainingRequests).toBeGreaterThanOrEqual(40);
    expect(state.remainingRequests).toBeLessThan(45);
    // Only the reset time: half the minute to go means half the budget is left.
    expect(state.remainingTokens).toBeGreaterThanOrEqual(75_000);
    expect(state.remainingTokens).toBeLessThan(80_000);
  });

  test('a server counting fewer of the requests in flight does not raise the budget', async () => {
    const limiter = new RateLimiter({ tokensPerMinute: 1_000_000 });
    const first = await limiter.acquire(100);
    await limiter.acquire(5000); // not yet arrived when the server answered the first
    limiter.release(first, { 'x-ratelimit-limit-tokens': '1000000', 'x-ratelimit-remaining-tokens': '999900' }, 'ok');
    expect(limiter.state().remainingTokens).toBeGreaterThanOrEqual(994_890);
    expect(limiter.state().remainingTokens).toBeLessThanOrEqual(997_000);
  });

  test('a server with more left than we charged, even counting every request in flight, raises the budget to that, less those in flight', async () => {
    const limiter = new RateLimiter({ tokensPerMinute: 1_000_000 });
    const first = await limiter.acquire(400_000); // estimated far above what the server counted
    await limiter.acquire(5000); // in flight
    limiter.release(first, { 'x-ratelimit-limit-tokens': '1000000', 'x-ratelimit-remaining-tokens': '999000' }, 'ok');
    // Before: 1,000,000 − 405,000 = 595,000 and never won back. Now 999,000 − 5,000 in flight.
    expect(limiter.state().remainingTokens).toBeGreaterThanOrEqual(993_990);
    expect(limiter.state().remainingTokens).toBeLessThanOrEqual(996_000);
  });

  test('until the first answer the limiter is uninformed; an answer or a configured budget informs it', async () => {
    const limiter = new RateLimiter();
    expect(limiter.informed).toBe(false);
    limiter.release(await limiter.acquire(10), {}, 'ok');
    expect(limiter.informed).toBe(true);
    expect(new RateLimiter({ tokensPerMinute: 1000 }).informed).toBe(true);
  });

  test('a server with less left than we think (another process on the key) lowers the budget, less the requests sent since', async () => {
    const limiter = new RateLimiter({ tokensPerMinute: 1_000_000 });
    const first = await limiter.acquire(100);
    await limiter.acquire(5000);
    limiter.release(first, { 'x-ratelimit-limit-tokens': '1000000', 'x-ratelimit-remaining-tokens': '500000' }, 'ok');
    // (The budget refills 16.7 tokens a millisecond: the bounds leave room for a slow machine.)
    expect(limiter.state().remainingTokens).toBeGreaterThanOrEqual(494_990);
    expect(limiter.state().remainingTokens).toBeLessThanOrEqual(497_000);
  });

  test('a server without rate-limit headers leaves the budgets unknown and requests unthrottled after the first', async () => {
    const limiter = new RateLimiter();
    const probe = await limiter.acquire(1000);
    let second = false;
    const waiting = limiter.acquire(1000).then((p) => ((second = true), p));
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false); // the first request probes alone
    limiter.release(probe, { 'content-type': 'application/json' }, 'ok');
    limiter.release(await waiting, { 'content-type': 'application/json' }, 'ok');
    const permits = await Promise.all([1, 2, 3].map(() => limiter.acquire(1000)));
    for (const p of permits) limiter.release(p, { 'content-type': 'application/json' }, 'ok');
    expect(limiter.state()).toMatchObject({ requestsPerMinute: undefined, tokensPerMinute: undefined, learnedFromHeaders: false, inFlight: 0 });
  });

  test('a 429 halves the concurrency and a retry-after pauses everyone', async () => {
    const limiter = new RateLimiter({ initialConcurrency: 8 });
    const p = await limiter.acquire(1);
    limiter.release(p, undefined, 'rate-limited', 5000);
    expect(limiter.state().concurrency).toBe(4);
    expect(limiter.state().pausedMs).toBeGreaterThan(4000);
  });

  test('a request larger than the whole token budget is refused before it is sent', async () => {
    const limiter = new RateLimiter({ tokensPerMinute: 1000 });
    await expect(limiter.acquire(2000)).rejects.toThrow(BudgetExceededError);
    expect(limiter.state().inFlight).toBe(0);
    // The queue behind it is not stuck.
    const p = await limiter.acquire(10);
    limiter.release(p, undefined, 'ok');
  });

  test('invalid configured limits are refused with the value', () => {
    expect(() => new RateLimiter({ tokensPerMinute: 0 })).toThrow('Expected `tokensPerMinute` to be a number above 0, got `0` (number).');
  });

  test('one limiter per API key, base URL and model', () => {
    const a = sharedRateLimiter({ apiKey: 'k1', baseURL: 'http://x/v1', model: 'm' });
    expect(sharedRateLimiter({ apiKey: 'k1', baseURL: 'http://x/v1/', model: 'm' })).toBe(a);
    expect(sharedRateLimiter({ apiKey: 'k2', baseURL: 'http://x/v1', model: 'm' })).not.toBe(a);
    expect(sharedRateLimiter({ apiKey: 'k1', baseURL: 'http://x/v1', model: 'n' })).not.toBe(a);
  });
});

describe('sending through the scheduler, against the stand-in', () => {
  let standIn: OpenAIStandIn;
  beforeAll(async () => {
    standIn = await startOpenAIStandIn({ rpm: 60 });
  });
  afterAll(async () => {
    await standIn.close();
  });
  beforeEach(() => {
    standIn.requests.length = 0;
  });
  let keys = 0;
  /** A fresh API key per test, so each test has its own limiter. */
  const fresh = () => `key-${++keys}`;
  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: standIn.url, maxRetries: 0 });

  test('requests over the RPM budget wait for it instead of drawing 429s', async () => {
    const model = createOpenAIEmbedding({ apiKey: fresh(), baseURL: standIn.url });
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => model.embed({ inputs: [`text ${i}`] })));
    expect(results).toHaveLength(64);
    const calls = embeddingCalls(standIn);
    expect(calls).toHaveLength(64);
    expect(calls.filter((r) => r.status === 429)).toHaveLength(0);
  });

  test('a 429 with retry-after is retried after the time the server asked for', async () => {
    const apiKey = fresh();
    const limiter = sharedRateLimiter({ apiKey, baseURL: standIn.url, model: 'text-embedding-3-small' });
    const retries: Array<{ status: number | undefined; waitMs: number }> = [];
    standIn.injectFaults({ status: 429, retryAfterSeconds: 1 });
    const c = client(apiKey);
    const { data } = await sendWithRetries(
      { limiter, tokens: 1, model: 'text-embedding-3-small', what: 'test', onRetry: (e) => retries.push(e) },
      () => c.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).withResponse(),
    );
    expect(data.data).toHaveLength(1);
    expect(embeddingCalls(standIn).map((r) => r.status)).toEqual([429, 200]);
    expect(retries).toEqual([{ attempt: 1, status: 429, waitMs: 1000 }]);
  });

  test('a 429 without retry-after backs off and retries', async () => {
    const apiKey = fresh();
    const limiter = sharedRateLimiter({ apiKey, baseURL: standIn.url, model: 'text-embedding-3-small' });
    const retries: Array<{ status: number | undefined; waitMs: number }> = [];
    standIn.injectFaults({ status: 429 });
    const c = client(apiKey);
    await sendWithRetries(
      { limiter, tokens: 1, model: 'text-embedding-3-small', what: 'test', onRetry: (e) => retries.push(e) },
      () => c.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).withResponse(),
    );
    expect(embeddingCalls(standIn).map((r) => r.status)).toEqual([429, 200]);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.waitMs).toBeGreaterThan(0);
  });

  test('5xx, a dropped connection and a timeout are retried until the answer comes', async () => {
    const model = createOpenAIEmbedding({ apiKey: fresh(), baseURL: standIn.url, timeoutMs: 1000 });
    standIn.injectFaults({ status: 503 }, { disconnect: true }, { delayMs: 3000 }, { status: 500 });
    const result = await model.embed({ inputs: ['survives'] });
    expect(result.embeddings).toHaveLength(1);
    const statuses = embeddingCalls(standIn).map((r) => r.status);
    expect(statuses[0]).toBe(503);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses).toContain(500);
    expect(statuses).toHaveLength(5);
  });

  test('gives up after maxRetries with the status in the message', async () => {
    const model = createOpenAIEmbedding({ apiKey: fresh(), baseURL: standIn.url, maxRetries: 1 });
    standIn.injectFaults({ status: 500 }, { status: 500 });
    await expect(model.embed({ inputs: ['x'] })).rejects.toThrow(/failed with 500.*gave up after 2 attempts/);
    expect(embeddingCalls(standIn)).toHaveLength(2);
  });

  test('insufficient_quota is not retried and stops the requests waiting behind it', async () => {
    const model = createOpenAIEmbedding({ apiKey: fresh(), baseURL: standIn.url, maxConcurrency: 1 });
    standIn.injectFaults({ status: 429, code: 'insufficient_quota' });
    const runs = await Promise.allSettled([0, 1, 2].map((i) => model.embed({ inputs: [`q ${i}`] })));
    expect(runs.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of runs) {
      const err = (r as PromiseRejectedResult).reason;
      expect(err).toBeInstanceOf(ModelError);
      expect(err.code).toBe('insufficient_quota');
      expect(err.message).toMatch(/no quota left \(insufficient_quota\)/);
    }
    expect(embeddingCalls(standIn)).toHaveLength(1);
    // A later request (credit added) is sent again.
    await expect(model.embed({ inputs: ['later'] })).resolves.toBeDefined();
  });

  test('a 400 is not retried', async () => {
    const model = createOpenAIEmbedding({ apiKey: fresh(), baseURL: standIn.url });
    await expect(model.embed({ inputs: [''] })).rejects.toThrow(ModelError);
    expect(embeddingCalls(standIn).map((r) => r.status)).toEqual([400]);
  });

  test('chat requests go through the same kind of scheduler and teach it the budgets', async () => {
    const apiKey = fresh();
    const chat = createOpenAIChat({ apiKey, baseURL: standIn.url, model: 'gpt-4o-mini' });
    let text = '';
    for await (const part of chat.stream({ messages: [{ role: 'user', content: 'Hello there.' }], maxOutputTokens: 50 })) {
      if (part.type === 'text') text += part.text;
    }
    expect(text).toContain('Hello there.');
    const state = sharedRateLimiter({ apiKey, baseURL: standIn.url, model: 'gpt-4o-mini' }).state();
    expect(state.requestsPerMinute).toBe(60);
    expect(state.learnedFromHeaders).toBe(true);
  });
});

describe('requests larger than the per-minute token budget', () => {
  let standIn: OpenAIStandIn;
  beforeAll(async () => {
    standIn = await startOpenAIStandIn({ tpm: 40_000 });
  });
  afterAll(async () => {
    await standIn.close();
  });
  beforeEach(() => {
    standIn.requests.length = 0;
  });
  const text = (n: number, i: number) => `${i} ${'lorem ipsum dolor sit amet '.repeat(n)}`.trim();

  test('with the budget configured, are split before sending and draw no 429', async () => {
    const inputs = Array.from({ length: 6 }, (_, i) => text(1000, i)); // ~5,000 tokens each
    const model = createOpenAIEmbedding({ apiKey: 'split-configured', baseURL: standIn.url, rateLimits: { tokensPerMinute: 40_000 } });
    const result = await model.embed({ inputs });
    expect(result.embeddings).toHaveLength(6);
    const calls = embeddingCalls(standIn);
    expect(calls.every((r) => r.status === 200)).toBe(true);
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.flatMap((r) => (r.body as { input: string[] }).input)).toEqual(inputs);
  });

  test('with the budget unknown, a modest first request learns it and the pieces follow without a 429', async () => {
    // Another model: the stand-in's budgets are per model, and the test above spent this one's.
    const model = createOpenAIEmbedding({ apiKey: 'split-learned', baseURL: standIn.url, model: 'text-embedding-3-large' });
    const many = Array.from({ length: 9 }, (_, i) => text(900, i)); // ~40,500 tokens, over the TPM
    const result = await model.embed({ inputs: many });
    expect(result.embeddings).toHaveLength(9);
    const calls = embeddingCalls(standIn);
    expect(calls.map((r) => r.status).every((s) => s === 200)).toBe(true);
    // The first request holds one ~4,500-token input (under 8,192), not the whole 40,500 tokens.
    expect((calls[0]!.body as { input: string[] }).input).toEqual([many[0]]);
    expect(calls.flatMap((r) => (r.body as { input: string[] }).input)).toEqual(many);
  });
});

describe('a short job at the token budget', () => {
  let standIn: OpenAIStandIn;
  beforeAll(async () => {
    standIn = await startOpenAIStandIn({ tpm: 10_000, rpm: 100 });
  });
  afterAll(async () => {
    await standIn.close();
  });

  test('a job of 1.2 budget-minutes with the budget unknown draws no 429 and ends with the limiter at the server budget', async () => {
    const model = createOpenAIEmbedding({ apiKey: 'short-job', baseURL: standIn.url });
    const inputs = Array.from({ length: 12 }, (_, i) => `${i} ${'lorem ipsum dolor sit amet '.repeat(200)}`.trim()); // ~12,000 tokens
    const result = await model.embed({ inputs });
    expect(result.embeddings).toHaveLength(12);
    const calls = embeddingCalls(standIn);
    expect(calls.filter((r) => r.status === 429)).toHaveLength(0);
    expect(calls.flatMap((r) => (r.body as { input: string[] }).input)).toEqual(inputs);
    const limiter = sharedRateLimiter({ apiKey: 'short-job', baseURL: standIn.url, model: 'text-embedding-3-small' });
    expect(limiter.state()).toMatchObject({ tokensPerMinute: 10_000, requestsPerMinute: 100, learnedFromHeaders: true });
    // Nothing over-charged is left behind: the limiter's level is not below the server's less what it spent last.
    expect(limiter.state().remainingTokens).toBeGreaterThanOrEqual(0);
  });
});
