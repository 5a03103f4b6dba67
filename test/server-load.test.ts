/**
 * The server under a burst: 100 concurrent askers against a small answer queue and a per-client
 * rate limit get answers or clean 429/503 refusals — never a crash, a hang or a broken body — and
 * the server is idle and healthy afterwards.
 */
import { describeEachDatabase } from './support/databases.js';
import { postJson, readEvents, startServerFixture, type ServerFixture } from './support/server-fixture.js';
import { waitFor } from './support/wait-for.js';

describeEachDatabase('Q&A server under load', (backend) => {
  let f: ServerFixture;

  beforeAll(async () => {
    // A model with a fixed 20 ms latency that writes 100 words, one every 5 ms.
    f = await startServerFixture(backend, {
      standIn: { latencyMs: 20, streamDelayMs: 5, respond: () => `From the documentation [1]. ${'word '.repeat(100)}` },
      // A burst of 60 and (practically) no refill, so the count of 429s does not depend on timing.
      server: { maxConcurrentAnswers: 4, maxQueuedAnswers: 16, rateLimit: { requestsPerMinute: 0.01, burst: 60 } },
    });
  });
  afterAll(async () => {
    await f?.close();
  });

  test('100 concurrent askers get answers or clean 429/503s, and the server ends idle', async () => {
    const questions = ['How do I upgrade from version 2 to 3?', 'Which Prometheus metrics does Tidewater export?', 'How do I re-run jobs from the dead-letter queue?'];
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const stream = i % 2 === 0;
        const r = await postJson(`${f.server.url}/api/ask`, { question: questions[i % 3] }, stream ? { accept: 'text/event-stream' } : {});
        if (r.status !== 200) {
          const body = (await r.json()) as { error: { type: string; message: string } };
          return { status: r.status, type: body.error.type, retryAfter: Number(r.headers.get('retry-after')) };
        }
        if (!stream) {
          const body = (await r.json()) as { answer: string; sources: unknown[] };
          return { status: 200, type: body.answer.length > 0 && body.sources.length > 0 ? 'answer' : 'empty' };
        }
        const events = await readEvents(r);
        const kinds = events.map((e) => e.event);
        const ok = kinds[0] === 'sources' && kinds.at(-1) === 'done' && kinds.filter((k) => k === 'token').length > 0;
        return { status: 200, type: ok ? 'answer' : `broken stream: ${kinds.join(',')}` };
      }),
    );
    const count = (pred: (o: (typeof outcomes)[number]) => boolean) => outcomes.filter(pred).length;
    // Every request ended in one of the three clean outcomes.
    for (const o of outcomes) {
      expect([
        { status: 200, type: 'answer' },
        { status: 429, type: 'rate_limit_error' },
        { status: 503, type: 'server_busy' },
      ]).toContainEqual({ status: o.status, type: o.type });
      if (o.status !== 200) expect(o.retryAfter).toBeGreaterThanOrEqual(1);
    }
    // The rate limit lets a burst of 60 through; the queue admits at least 4 running + 16 waiting.
    expect(count((o) => o.status === 429)).toBe(40);
    expect(count((o) => o.status === 200)).toBeGreaterThanOrEqual(20);
    expect(count((o) => o.status === 200) + count((o) => o.status === 503)).toBe(60);
    // Only admitted answers reached the model.
    expect(f.standIn.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(count((o) => o.status === 200));

    const health = await fetch(`${f.server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', answers: { running: 0, waiting: 0 } });
  });

  test('100 streaming clients that leave after the sources free every slot and cancel every model call', async () => {
    await f.restart({ maxConcurrentAnswers: 8, maxQueuedAnswers: 100, rateLimit: { requestsPerMinute: 10_000 } });
    f.standIn.requests.length = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        const controller = new AbortController();
        const r = await postJson(`${f.server.url}/api/ask`, { question: 'How do I upgrade from version 2 to 3?' }, { accept: 'text/event-stream' }, controller.signal);
        expect(r.status).toBe(200);
        await readEvents(r, (e) => e.event === 'token');
        controller.abort();
      }),
    );
    const health = await waitFor(
      async () => {
        const h = (await (await fetch(`${f.server.url}/healthz`)).json()) as { answers: { running: number; waiting: number } };
        return h.answers.running === 0 && h;
      },
      { intervalMs: 50, timeoutMs: 5_000, what: 'every answer slot to be free' },
    );
    expect(health.answers).toEqual({ running: 0, waiting: 0 });
    const chats = f.standIn.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats).toHaveLength(100);
    // Each answer takes 500 ms to stream: the calls are still streaming when their clients leave.
    expect(chats.filter((c) => c.clientClosed).length).toBeGreaterThan(90);
  });
});
