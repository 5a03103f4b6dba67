/**
 * The OpenAI-compatible endpoint, driven by the official `openai` package: a collection is a
 * model, answers stream, and the sources come as a final "Sources:" block and a `sources` field.
 */
import OpenAI from 'openai';
import { describeEachDatabase } from './support/databases.js';
import { startServerFixture, type ServerFixture } from './support/server-fixture.js';
import { DONT_KNOW } from '../src/models/local/extractive-chat.js';

type Source = { number: number; url: string; title: string; cited?: boolean };

describeEachDatabase('OpenAI-compatible endpoint', (backend) => {
  let f: ServerFixture;
  let sdk: OpenAI;
  const question = 'How do I schedule a cron job in a specific time zone?';

  beforeAll(async () => {
    f = await startServerFixture(backend, { collections: ['docs', 'handbook'] });
    sdk = new OpenAI({ apiKey: 'unused-on-loopback', baseURL: `${f.server.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await f?.close();
  });
  beforeEach(() => {
    f.standIn.requests.length = 0;
  });

  test('lists the collections as models', async () => {
    const models = [];
    for await (const m of sdk.models.list()) models.push(m);
    expect(models.map((m) => [m.id, m.object, m.owned_by])).toEqual([
      ['docs', 'model', 'ragline'],
      ['handbook', 'model', 'ragline'],
    ]);
  });

  test('retrieves one model by name, and 404s an unknown one', async () => {
    expect(await sdk.models.retrieve('docs')).toMatchObject({ id: 'docs', object: 'model', owned_by: 'ragline' });
    expect(await sdk.models.retrieve('docs:gpt-4.1-mini')).toMatchObject({ id: 'docs:gpt-4.1-mini' });
    await expect(sdk.models.retrieve('nope')).rejects.toMatchObject({ status: 404 });
  });

  test('a completion answers from the collection named by the model, with a Sources block and field', async () => {
    const completion = await sdk.chat.completions.create({ model: 'handbook', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: question }] });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('handbook');
    const content = completion.choices[0]!.message.content!;
    const sources = (completion as unknown as { sources: Source[] }).sources;
    expect(sources.length).toBeGreaterThan(0);
    expect(sources[0]).toMatchObject({ number: 1, cited: true });
    // The answer cites [1]: the block lists that source, with its title and URL.
    expect(content).toMatch(/^From the documentation \[1\]\. Stand-in reply:/);
    expect(content.endsWith(`\n\nSources:\n- [1] ${sources[0]!.title} — ${sources[0]!.url}`)).toBe(true);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(100);
    // The client's system message is not passed on: the bot's prompt stays in charge.
    const body = f.standIn.requests.find((r) => r.path === '/v1/chat/completions')!.body as { messages: Array<{ role: string; content: string }> };
    expect(body.messages.map((m) => m.content).join('\n')).not.toContain('Be brief.');
  });

  test('a streamed completion carries the sources on its first chunk, then text, then the Sources block', async () => {
    const stream = await sdk.chat.completions.create({ model: 'docs', messages: [{ role: 'user', content: question }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const first = chunks[0] as unknown as { sources: Source[]; choices: Array<{ delta: { role: string } }> };
    expect(first.choices[0]!.delta.role).toBe('assistant');
    expect(first.sources.length).toBeGreaterThan(0);
    expect(first.sources.map((s) => s.url)).toContain(`${f.site.url}guide/scheduling/`);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const pieces = chunks.filter((c) => c.choices[0]?.delta.content).length;
    expect(pieces).toBeGreaterThan(3);
    expect(text).toMatch(/^From the documentation \[1\]\. Stand-in reply: How do I schedule a cron job/);
    expect(text).toMatch(/\n\nSources:\n- \[1\] .+ — http:\/\/127\.0\.0\.1:\d+\/\S*$/);
    const finish = chunks.find((c) => c.choices[0]?.finish_reason)!;
    expect(finish.choices[0]!.finish_reason).toBe('stop');
    expect((finish as unknown as { sources: Source[] }).sources[0]!.cited).toBe(true);
    expect(chunks.at(-1)!.usage!.completion_tokens).toBeGreaterThan(0);
  });

  test('a follow-up conversation is answered as a standalone question', async () => {
    const completion = await sdk.chat.completions.create({
      model: 'docs',
      messages: [
        { role: 'user', content: 'How are failing jobs retried?' },
        { role: 'assistant', content: 'With exponential backoff [1].' },
        { role: 'user', content: 'How many times by default?' },
      ],
    });
    expect(completion.choices[0]!.message.content).toContain('Stand-in reply: How many times is a failing job retried with the default settings?');
  });

  test('errors reach the SDK as API errors with their status', async () => {
    await expect(sdk.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'Hi?' }] })).rejects.toMatchObject({ status: 404, type: 'not_found_error' });
    await expect(sdk.chat.completions.create({ model: 'docs', messages: [{ role: 'assistant', content: 'Hi' }] })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/last message must be a user message/),
    });
    await expect(sdk.chat.completions.create({ model: 'docs:no-such-model', messages: [{ role: 'user', content: 'Hi?' }] })).rejects.toMatchObject({ status: 400 });
  });

  test('a non-standard `filter` keeps the answer to chunks whose metadata matches; a wrong type is a 400', async () => {
    // The demo site's chunks carry no metadata: nothing matches, so no model call and no sources.
    const params = { model: 'docs', messages: [{ role: 'user' as const, content: question }], filter: { product: 'none' }, efSearch: 80 };
    const completion = await sdk.chat.completions.create(params);
    expect(completion.choices[0]!.message.content).toBe(DONT_KNOW);
    expect((completion as unknown as { sources: Source[] }).sources).toEqual([]);
    expect(f.standIn.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(0);
    // The SDK sends extra fields as they are (its `extra_body`).
    const wrong = { ...params, filter: 'product=none' };
    await expect(sdk.chat.completions.create(wrong)).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/`filter` must be an object/) });
  });

  test('`collection:chat-model` picks the chat model', async () => {
    const completion = await sdk.chat.completions.create({ model: 'docs:gpt-4.1-mini', messages: [{ role: 'user', content: question }] });
    expect(completion.model).toBe('docs:gpt-4.1-mini');
    const body = f.standIn.requests.find((r) => r.path === '/v1/chat/completions')!.body as { model: string };
    expect(body.model).toBe('gpt-4.1-mini');
  });
});
