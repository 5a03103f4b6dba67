/**
 * What a server serves: only the collections it was started for (every other answers 404 on
 * every route, the OpenAI-compatible ones included), only the chat models on its allow-list, and
 * a clear 503 (never "Internal server error") for a collection whose embedding model cannot be
 * built here — reported at start-up too.
 */
import OpenAI from 'openai';
import { postJson, startServerFixture, type ServerFixture } from './support/server-fixture.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { runCli } from '../src/cli/program.js';
import { waitFor } from './support/wait-for.js';

type ErrorBody = { error: { message: string; type: string } };

describe('served collections and chat models', () => {
  let f: ServerFixture;
  const url = (p: string) => `${f.server.url}${p}`;
  const question = 'How do I schedule a cron job in a specific time zone?';

  beforeAll(async () => {
    f = await startServerFixture('pglite', { collections: ['docs', 'handbook', 'secret'] });
  });
  afterAll(async () => {
    await f?.close();
  });

  describe('started for some collections', () => {
    beforeAll(async () => {
      await f.restart({ collections: ['handbook', 'docs'], defaultCollection: undefined });
    });
    afterAll(async () => {
      await f.restart();
    });

    test('lists only those, in the order given, the first being the default', async () => {
      const body = (await (await fetch(url('/api/collections'))).json()) as { default: string; collections: Array<{ name: string }> };
      expect(body.default).toBe('handbook');
      expect(body.collections.map((c) => c.name)).toEqual(['handbook', 'docs']);
      const sdk = new OpenAI({ apiKey: 'unused', baseURL: url('/v1'), maxRetries: 0 });
      const models = [];
      for await (const m of sdk.models.list()) models.push(m.id);
      expect(models).toEqual(['handbook', 'docs']);
    });

    test('a request naming no collection goes to the first one', async () => {
      const r = await postJson(url('/api/search'), { query: 'retries' });
      expect(r.status).toBe(200);
    });

    test('every other collection answers 404 on every route', async () => {
      const statuses = await Promise.all([
        postJson(url('/api/search'), { query: 'retries', collection: 'secret' }),
        postJson(url('/api/ask'), { question, collection: 'secret' }),
        postJson(url('/api/ask'), { question, collection: 'secret' }, { accept: 'text/event-stream' }),
        fetch(url('/api/collections/secret')),
        fetch(url('/api/collections/secret/refresh'), { method: 'POST' }),
        fetch(url('/v1/models/secret')),
        fetch(url('/v1/models/secret:gpt-4.1-mini')),
        postJson(url('/v1/chat/completions'), { model: 'secret', messages: [{ role: 'user', content: question }] }),
        postJson(url('/v1/chat/completions'), { model: 'secret:gpt-4.1-mini', messages: [{ role: 'user', content: question }], stream: true }),
      ]);
      expect(statuses.map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 404, 404, 404, 404]);
      const body = (await statuses[0]!.json()) as ErrorBody;
      expect(body.error.message).toMatch(/No collection named "secret" is served here/);
      // Nothing of it was searched or answered.
      expect(f.standIn.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(0);
    });
  });

  test('a chat model off the allow-list is refused with 400 naming those allowed; one on it answers', async () => {
    const r = await postJson(url('/v1/chat/completions'), { model: 'docs:gpt-4o', messages: [{ role: 'user', content: question }] });
    expect(r.status).toBe(400);
    const body = (await r.json()) as ErrorBody;
    expect(body.error.message).toBe('The chat model "gpt-4o" is not allowed here: this server answers with "gpt-4o-mini", "gpt-4.1-mini" (the operator allows more with `--allow-chat-model`).');
    expect((await fetch(url('/v1/models/docs:gpt-4o'))).status).toBe(400);
    const ok = await postJson(url('/v1/chat/completions'), { model: 'docs:gpt-4.1-mini', messages: [{ role: 'user', content: question }] });
    expect(ok.status).toBe(200);
  });

  describe('a collection whose embedding model cannot be built here', () => {
    beforeAll(async () => {
      // Only "docs" gets its model; the others would need an OpenAI key this server lacks.
      const docsModel = createOpenAIEmbedding({ client: f.client });
      await f.restart({ connection: { env: {} }, embedding: (c) => (c.name === 'docs' ? docsModel : undefined) });
    });
    afterAll(async () => {
      await f.restart();
    });

    test('is reported at start-up with the reason', () => {
      expect(f.server.unservable.map((u) => u.collection)).toEqual(['handbook', 'secret']);
      expect(f.server.unservable[0]!.reason).toMatch(/^Collection "handbook" cannot be served here: No OpenAI API key/);
    });

    test('answers 503 with the reason on every route, while the others answer', async () => {
      const responses = await Promise.all([
        postJson(url('/api/search'), { query: 'retries', collection: 'handbook' }),
        postJson(url('/api/ask'), { question, collection: 'handbook' }, { accept: 'text/event-stream' }),
        postJson(url('/v1/chat/completions'), { model: 'handbook', messages: [{ role: 'user', content: question }] }),
      ]);
      for (const r of responses) {
        expect(r.status).toBe(503);
        const body = (await r.json()) as ErrorBody;
        expect(body.error).toEqual({ type: 'collection_unavailable', message: expect.stringMatching(/^Collection "handbook" cannot be served here: No OpenAI API key/) });
      }
      const listed = (await (await fetch(url('/api/collections'))).json()) as { collections: Array<{ name: string; unavailable?: string }> };
      expect(listed.collections.map((c) => [c.name, c.unavailable !== undefined])).toEqual([
        ['docs', false],
        ['handbook', true],
        ['secret', true],
      ]);
      expect((await postJson(url('/api/search'), { query: 'retries', collection: 'docs' })).status).toBe(200);
    });
  });

  test('`serve --collection` reports unservable and missing collections on stderr at start-up', async () => {
    const controller = new AbortController();
    let stderr = '';
    const done = runCli(['serve', '--port', '0', '--collection', 'docs', '--collection', 'nope', '--allow-chat-model', 'gpt-4.1-mini'], {
      stdout: { write: () => undefined },
      stderr: { write: (text: string) => (stderr += text) },
      // No OpenAI key: the offline chat model answers, and "docs" (built with OpenAI) cannot be served.
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      database: f.db,
      signal: controller.signal,
    });
    const base = await waitFor(() => /Serving on (http:\S+)\//.exec(stderr)?.[1], { what: 'the server to start' });
    expect(stderr).toMatch(/^Collections: docs, nope; chat models callers may pick: extractive-v1, gpt-4.1-mini$/m);
    expect(stderr).toMatch(/^Warning: collection "nope" does not exist \(yet\): it answers 404 until it is ingested\.$/m);
    expect(stderr).toMatch(/^Warning: Collection "docs" cannot be served here: No OpenAI API key.*Its requests answer 503\.$/m);
    const r = await postJson(`${base}/api/search`, { query: 'retries' });
    expect(r.status).toBe(503);
    controller.abort();
    expect(await done).toBe(0);
  });
});
