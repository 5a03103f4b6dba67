/** The server's parts on their own: the bounded queue, the rate limiter, follow-ups offline, the Sources block. */
import { Gate } from '../src/server/gate.js';
import { RateLimiter } from '../src/server/rate-limit.js';
import { HttpError } from '../src/server/http.js';
import { isLoopbackHost, keyFingerprint } from '../src/server/auth.js';
import { lexicalStandalone, standaloneQuestion } from '../src/server/conversation.js';
import { sourcesBlock } from '../src/server/openai-routes.js';
import { createExtractiveChat } from '../src/models/local/extractive-chat.js';
import { ConfigError } from '../src/errors.js';

describe('Gate', () => {
  test('runs up to its concurrency, queues up to its limit, and refuses the rest with a 503', async () => {
    const gate = new Gate({ name: 'answers', concurrency: 2, maxQueue: 1 });
    const a = await gate.acquire();
    const b = await gate.acquire();
    let cGot = false;
    const c = gate.acquire().then((release) => ((cGot = true), release));
    await expect(gate.acquire()).rejects.toMatchObject({ status: 503, type: 'server_busy', headers: { 'retry-after': '1' } });
    expect([gate.active, gate.queued, cGot]).toEqual([2, 1, false]);
    a();
    a(); // releasing twice frees one slot only
    const release = await c;
    expect([gate.active, gate.queued, cGot]).toEqual([2, 0, true]);
    b();
    release();
    expect([gate.active, gate.queued]).toEqual([0, 0]);
  });

  test('a waiter whose client leaves gives up its place in the queue', async () => {
    const gate = new Gate({ name: 'answers', concurrency: 1, maxQueue: 5 });
    const held = await gate.acquire();
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    controller.abort(new Error('client left'));
    await expect(waiting).rejects.toThrow('client left');
    expect(gate.queued).toBe(0);
    held();
    expect(gate.active).toBe(0);
  });

  test('rejects a concurrency below 1 naming the value', () => {
    expect(() => new Gate({ name: 'answers', concurrency: 0, maxQueue: 1 })).toThrow(new ConfigError('concurrency', 0, 'Expected `concurrency` of answers to be an integer from 1 and up, got `0` (number).'));
  });
});

describe('RateLimiter', () => {
  test('allows a burst, then one request per refill interval, per client', () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerMinute: 60, burst: 2 }, () => now);
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 0]);
    expect(limiter.take('a')).toBe(1000);
    expect(limiter.take('b')).toBe(0);
    now = 500;
    expect(limiter.take('a')).toBe(500);
    now = 1000;
    expect(limiter.take('a')).toBe(0);
  });
});

describe('API keys', () => {
  test('a key is shown only as a fingerprint', () => {
    const fp = keyFingerprint('sk-very-secret-key-123456');
    expect(fp).toMatch(/^key:[0-9a-f]{8}$/);
    expect(fp).not.toContain('secret');
  });

  test('loopback hosts are told apart from the others', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].map(isLoopbackHost)).toEqual([true, true, true, true, true]);
    expect(['0.0.0.0', '::', '192.168.1.10', 'example.com'].map(isLoopbackHost)).toEqual([false, false, false, false]);
  });
});

describe('follow-up questions with the offline model', () => {
  test('the extractive model cannot rewrite, so the previous user question is prepended', async () => {
    const history = [
      { role: 'user' as const, content: 'How are failing jobs retried?' },
      { role: 'assistant' as const, content: 'With exponential backoff [1].' },
    ];
    expect(lexicalStandalone(history, 'How many times by default?')).toBe('How are failing jobs retried? How many times by default?');
    expect(await standaloneQuestion(createExtractiveChat(), history, 'How many times by default?')).toBe('How are failing jobs retried? How many times by default?');
    expect(await standaloneQuestion(createExtractiveChat(), [], 'Alone?')).toBe('Alone?');
  });
});

describe('sourcesBlock', () => {
  const source = (number: number, cited?: boolean) => ({ number, url: `https://docs.example.com/${number}`, title: `Page ${number}`, passages: [], headingPaths: [], score: 1, ...(cited === undefined ? {} : { cited }) });
  test('lists the cited sources, else every source given, else nothing', () => {
    expect(sourcesBlock([source(1, false), source(2, true)])).toBe('\n\nSources:\n- [2] Page 2 — https://docs.example.com/2');
    expect(sourcesBlock([source(1, false), source(2, false)])).toBe('\n\nSources:\n- [1] Page 1 — https://docs.example.com/1\n- [2] Page 2 — https://docs.example.com/2');
    expect(sourcesBlock([])).toBe('');
  });
});

test('HttpError carries its status, type and headers', () => {
  const e = new HttpError(429, 'rate_limit_error', 'Too many requests.', { headers: { 'retry-after': '3' } });
  expect([e.status, e.type, e.headers, e.code, e.message]).toEqual([429, 'rate_limit_error', { 'retry-after': '3' }, 'http', 'Too many requests.']);
});
