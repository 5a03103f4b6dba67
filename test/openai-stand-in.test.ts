/**
 * The OpenAI stand-in, exercised through the official `openai` SDK wherever possible: if the SDK
 * parses a response into the right result or error class, ragline's client code will see the same
 * thing here as against the real API.
 */

import { encode as cl100kEncode } from 'gpt-tokenizer/encoding/cl100k_base';
import OpenAI from 'openai';
import {
  featureHashEmbedding,
  formatOpenAIDuration,
  startOpenAIStandIn,
  type OpenAIStandIn,
  type OpenAIStandInOptions,
} from './stand-in/openai-stand-in.js';

/** Stand-ins started by a test, closed after it. */
const started: OpenAIStandIn[] = [];

async function standIn(options: OpenAIStandInOptions = {}): Promise<OpenAIStandIn> {
  const server = await startOpenAIStandIn(options);
  started.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((server) => server.close()));
});

function client(server: OpenAIStandIn, options: { maxRetries?: number; timeout?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: 'test', baseURL: server.url, maxRetries: options.maxRetries ?? 0, timeout: options.timeout ?? 30_000 });
}

/** The error a call fails with, checked to be of the given SDK class. */
async function failure<T extends abstract new (...args: never[]) => Error>(call: Promise<unknown>, type: T): Promise<InstanceType<T>> {
  const error = await call.then(
    () => {
      throw new Error('expected the call to fail, but it succeeded');
    },
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(type);
  return error as InstanceType<T>;
}

/** A text of exactly `n` cl100k tokens (" hello" is one token). */
function textOfTokens(n: number): string {
  return 'hello' + ' hello'.repeat(n - 1);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

/** Milliseconds of an OpenAI duration such as `1m30.5s` or `12ms`, parsed independently of the stand-in. */
function parseDuration(text: string): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(text);
  if (!match || text === '') throw new Error(`not an OpenAI duration: ${text}`);
  const [, h = '0', m = '0', s = '0', ms = '0'] = match;
  return Number(h) * 3_600_000 + Number(m) * 60_000 + Number(s) * 1000 + Number(ms);
}

describe('embeddings', () => {
  test('float vectors have the model native length, unit norm, and are deterministic', async () => {
    const server = await standIn();
    const openai = client(server);
    const texts = ['Postgres stores vectors with pgvector.', 'The cat sat on the mat.'];
    const first = await openai.embeddings.create({ model: 'text-embedding-3-small', input: texts, encoding_format: 'float' });
    const second = await openai.embeddings.create({ model: 'text-embedding-3-small', input: texts, encoding_format: 'float' });

    expect(first.object).toBe('list');
    expect(first.model).toBe('text-embedding-3-small');
    expect(first.data.map((d) => d.index)).toEqual([0, 1]);
    for (const item of first.data) {
      expect(item.object).toBe('embedding');
      expect(item.embedding).toHaveLength(1536);
      expect(Math.hypot(...item.embedding)).toBeCloseTo(1, 5);
    }
    expect(second.data[0]?.embedding).toEqual(first.data[0]?.embedding);
    // Usage is counted in cl100k_base tokens, like the real API.
    const expectedTokens = texts.reduce((sum, text) => sum + cl100kEncode(text).length, 0);
    expect(first.usage).toEqual({ prompt_tokens: expectedTokens, total_tokens: expectedTokens });
  });

  test('the SDK asks for base64 by default and decodes it to the same numbers as float', async () => {
    const server = await standIn();
    const openai = client(server);
    const input = 'Retrieval augmented generation';
    const viaBase64 = await openai.embeddings.create({ model: 'text-embedding-3-large', input });
    const viaFloat = await openai.embeddings.create({ model: 'text-embedding-3-large', input, encoding_format: 'float' });

    expect((server.requests[0]?.body as { encoding_format?: string }).encoding_format).toBe('base64');
    expect(viaBase64.data[0]?.embedding).toHaveLength(3072);
    expect(viaBase64.data[0]?.embedding).toEqual(viaFloat.data[0]?.embedding);
    // And the wire format really is base64 of little-endian float32.
    const raw = await fetch(`${server.url}/embeddings`, {
      method: 'POST',
      headers: { authorization: 'Bearer test', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-large', input, encoding_format: 'base64' }),
    }).then((r) => r.json() as Promise<{ data: Array<{ embedding: string }> }>);
    const bytes = Buffer.from(raw.data[0]?.embedding ?? '', 'base64');
    expect(bytes.length).toBe(3072 * 4);
    expect(bytes.readFloatLE(0)).toBe(viaFloat.data[0]?.embedding[0]);
  });

  test('dimensions shortens text-embedding-3 vectors and is refused for ada-002 or above the native size', async () => {
    const server = await standIn();
    const openai = client(server);
    const short = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hi there', dimensions: 256 });
    expect(short.data[0]?.embedding).toHaveLength(256);
    const ada = await openai.embeddings.create({ model: 'text-embedding-ada-002', input: 'hi there' });
    expect(ada.data[0]?.embedding).toHaveLength(1536);

    const refused = await failure(
      openai.embeddings.create({ model: 'text-embedding-ada-002', input: 'hi', dimensions: 512 }),
      OpenAI.BadRequestError,
    );
    expect(refused.error).toEqual({
      message: 'This model does not support specifying dimensions.',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
    const tooMany = await failure(
      openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hi', dimensions: 1537 }),
      OpenAI.BadRequestError,
    );
    expect(tooMany.param).toBe('dimensions');
    expect(tooMany.code).toBe('integer_above_max_value');
  });

  test('texts sharing words are nearer than unrelated texts, so retrieval over the stand-in is meaningful', async () => {
    const server = await standIn();
    const openai = client(server);
    const { data } = await openai.embeddings.create({
      model: 'text-embedding-3-small',
      input: [
        'How do I rotate my API key?',
        'To rotate an API key, open the dashboard and create a new key.',
        'Bananas are rich in potassium and grow in tropical climates.',
      ],
    });
    const [query, relevant, unrelated] = data.map((d) => d.embedding);
    expect(cosine(query!, relevant!)).toBeGreaterThan(cosine(query!, unrelated!) + 0.2);
  });

  test('the default embedding is exported and is the feature-hashing function', () => {
    const vector = featureHashEmbedding('Hello, hello world', 64);
    expect(vector).toBeInstanceOf(Float32Array);
    expect(vector).toHaveLength(64);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    // Case and punctuation do not matter; word order does (through word pairs).
    expect(Array.from(featureHashEmbedding('HELLO hello. World!', 64))).toEqual(Array.from(vector));
    expect(Array.from(featureHashEmbedding('world hello hello', 64))).not.toEqual(Array.from(vector));
  });

  test('token-array inputs are embedded as the text they encode', async () => {
    const server = await standIn();
    const openai = client(server);
    const text = 'vector search in postgres';
    const tokens = cl100kEncode(text);
    const result = await openai.embeddings.create({ model: 'text-embedding-3-small', input: [tokens, tokens], encoding_format: 'float' });
    const fromText = await openai.embeddings.create({ model: 'text-embedding-3-small', input: text, encoding_format: 'float' });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding).toEqual(fromText.data[0]?.embedding);
    expect(result.usage.total_tokens).toBe(2 * tokens.length);
  });

  test('2048 inputs are accepted and 2049 are refused with the API input error', async () => {
    const server = await standIn();
    const openai = client(server);
    const ok = await openai.embeddings.create({ model: 'text-embedding-3-small', input: Array(2048).fill('x'), dimensions: 8 });
    expect(ok.data).toHaveLength(2048);

    const error = await failure(
      openai.embeddings.create({ model: 'text-embedding-3-small', input: Array(2049).fill('x'), dimensions: 8 }),
      OpenAI.BadRequestError,
    );
    expect(error.status).toBe(400);
    expect(error.error).toEqual({
      message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  });

  test('an empty string input is refused', async () => {
    const server = await standIn();
    const error = await failure(
      client(server).embeddings.create({ model: 'text-embedding-3-small', input: ['ok', ''] }),
      OpenAI.BadRequestError,
    );
    expect(error.message).toContain("'$.input' is invalid");
  });

  test('an input of 8191 tokens is accepted and one of 8192 is refused with the context-length message', async () => {
    const server = await standIn();
    const openai = client(server);
    expect(cl100kEncode(textOfTokens(8192))).toHaveLength(8192);
    const ok = await openai.embeddings.create({ model: 'text-embedding-3-small', input: textOfTokens(8191), dimensions: 8 });
    expect(ok.usage.prompt_tokens).toBe(8191);

    const error = await failure(
      openai.embeddings.create({ model: 'text-embedding-3-small', input: ['short', textOfTokens(8192)] }),
      OpenAI.BadRequestError,
    );
    expect(error.error).toEqual({
      message:
        "This model's maximum context length is 8192 tokens, however you requested 8192 tokens (8192 in your prompt; " +
        '0 for the completion). Please reduce your prompt; or completion length.',
      type: 'invalid_request_error',
      param: null,
      code: null,
    });
  });

  test('more than 300,000 tokens in one request is refused with max_tokens_per_request', async () => {
    const server = await standIn();
    const openai = client(server);
    const inputs = Array(37).fill(textOfTokens(8100)); // 299,700 tokens: just fits.
    const ok = await openai.embeddings.create({ model: 'text-embedding-3-small', input: inputs, dimensions: 4 });
    expect(ok.usage.total_tokens).toBe(299_700);

    const error = await failure(
      openai.embeddings.create({ model: 'text-embedding-3-small', input: [...inputs, textOfTokens(301)], dimensions: 4 }),
      OpenAI.BadRequestError,
    );
    expect(error.code).toBe('max_tokens_per_request');
    expect(error.type).toBe('max_tokens_per_request');
    expect(error.error).toMatchObject({ message: 'Requested 300001 tokens, max 300000 tokens per request' });
  });

  test('an unknown model is a 404 model_not_found', async () => {
    const server = await standIn();
    const error = await failure(
      client(server).embeddings.create({ model: 'text-embedding-4-huge', input: 'x' }),
      OpenAI.NotFoundError,
    );
    expect(error.code).toBe('model_not_found');
    expect(error.message).toContain('The model `text-embedding-4-huge` does not exist or you do not have access to it.');
  });

  test('every request is recorded with its path, body and status', async () => {
    const server = await standIn();
    const openai = client(server);
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    await failure(openai.embeddings.create({ model: 'nope', input: 'a' }), OpenAI.NotFoundError);
    expect(server.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/v1/embeddings', 200],
      ['POST', '/v1/embeddings', 404],
    ]);
    expect(server.requests[0]?.body).toMatchObject({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer test');
  });
});

describe('chat completions', () => {
  test('the default reply quotes the first sentence of the last user message, with usage', async () => {
    const server = await standIn();
    const completion = await client(server).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello!' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Stand-in reply: Hello!' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    // 19 is what OpenAI's own documentation example reports for these two messages.
    expect(completion.usage?.prompt_tokens).toBe(19);
    expect(completion.usage?.total_tokens).toBe(19 + (completion.usage?.completion_tokens ?? NaN));
  });

  test('the reply is truncated to max_tokens with finish_reason length', async () => {
    const server = await standIn({ respond: () => 'one two three four five six seven eight nine ten' });
    const completion = await client(server).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Count.' }],
      max_tokens: 3,
    });
    expect(completion.choices[0]?.message.content).toBe('one two three');
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(3);
  });

  test('messages plus max_tokens over the window is context_length_exceeded with the API wording', async () => {
    const server = await standIn();
    const openai = client(server);
    const messages = [{ role: 'user' as const, content: textOfTokens(8000) }];
    const error = await failure(
      openai.chat.completions.create({ model: 'gpt-4', messages, max_tokens: 1000 }),
      OpenAI.BadRequestError,
    );
    expect(error.code).toBe('context_length_exceeded');
    expect(error.param).toBe('messages');
    // 8000 content tokens + 3 framing + 1 role + 3 priming.
    expect(error.error).toMatchObject({
      message:
        "This model's maximum context length is 8192 tokens. However, you requested 9007 tokens (8007 in the messages, " +
        '1000 in the completion). Please reduce the length of the messages or completion.',
    });

    // Without max_tokens only the messages count, and they fit.
    const ok = await openai.chat.completions.create({ model: 'gpt-4', messages });
    expect(ok.usage?.prompt_tokens).toBe(8007);
  });

  test('max_tokens above the model output limit is refused', async () => {
    const server = await standIn();
    const error = await failure(
      client(server).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 20_000 }),
      OpenAI.BadRequestError,
    );
    expect(error.param).toBe('max_tokens');
    expect(error.error).toMatchObject({
      message: 'max_tokens is too large: 20000. This model supports at most 16384 completion tokens, whereas you provided 20000.',
    });
  });

  test('streaming through the SDK yields the reply word by word, then stop, then usage', async () => {
    const server = await standIn({ respond: () => 'Paris is the capital of France.' });
    const stream = await client(server).chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: 'Capital of France?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks[0]?.choices[0]?.delta).toMatchObject({ role: 'assistant', content: '' });
    const pieces = chunks.flatMap((c) => c.choices.map((choice) => choice.delta.content ?? '')).filter((p) => p !== '');
    expect(pieces).toEqual(['Paris', ' is', ' the', ' capital', ' of', ' France.']);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ completion_tokens: 7, total_tokens: (last?.usage?.prompt_tokens ?? NaN) + 7 });
  });

  test('respond gets the messages, the model and the request; json_schema response_format is accepted', async () => {
    const calls: unknown[] = [];
    const server = await standIn({
      respond: (messages, model, request) => {
        calls.push({ messages, model, format: (request.response_format as { type?: string }).type });
        return JSON.stringify({ answer: 'pgvector', sources: [1] });
      },
    });
    const completion = await client(server).chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Answer from the sources.' },
        { role: 'user', content: [{ type: 'text', text: 'Which extension?' }] },
      ],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', strict: true, schema: { type: 'object', properties: { answer: { type: 'string' } } } },
      },
    });
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({ answer: 'pgvector', sources: [1] });
    expect(calls).toEqual([
      {
        messages: [
          { role: 'system', content: 'Answer from the sources.' },
          { role: 'user', content: 'Which extension?' },
        ],
        model: 'gpt-4o',
        format: 'json_schema',
      },
    ]);
  });

  test('an embedding model on the chat endpoint is refused', async () => {
    const server = await standIn();
    const error = await failure(
      client(server).chat.completions.create({ model: 'text-embedding-3-small', messages: [{ role: 'user', content: 'hi' }] }),
      OpenAI.NotFoundError,
    );
    expect(error.message).toContain('This is not a chat model');
  });
});

describe('protocol', () => {
  test('GET /v1/models lists the embedding and chat models', async () => {
    const server = await standIn();
    const ids: string[] = [];
    for await (const model of client(server).models.list()) ids.push(model.id);
    expect(ids).toEqual(
      expect.arrayContaining(['text-embedding-ada-002', 'text-embedding-3-small', 'text-embedding-3-large', 'gpt-4', 'gpt-4o-mini', 'gpt-4.1']),
    );
  });

  test('a request without an API key is a 401 with the API body', async () => {
    const server = await standIn();
    const response = await fetch(`${server.url}/embeddings`, {
      method: 'POST',
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'x' }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { error: { message: string; type: string; code: unknown } };
    expect(body.error.message).toMatch(/^You didn't provide an API key\./);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.code).toBeNull();
  });

  test('unknown paths and broken JSON get the API errors', async () => {
    const server = await standIn();
    const unknown = await fetch(`${server.url}/completions/legacy`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{}' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: { message: 'Invalid URL (POST /v1/completions/legacy)', type: 'invalid_request_error', param: null, code: null },
    });
    const broken = await fetch(`${server.url}/embeddings`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: '{"model":' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { message: string } }).error.message).toMatch(/^We could not parse the JSON body/);
  });

  test('latencyMs delays every answer and streamDelayMs spaces the streamed chunks', async () => {
    const server = await standIn({ latencyMs: 100, streamDelayMs: 40, respond: () => 'a b c d e' });
    const openai = client(server);
    let startedAt = Date.now();
    const { response } = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).withResponse();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(95);
    expect(Number(response.headers.get('openai-processing-ms'))).toBeGreaterThanOrEqual(95);

    startedAt = Date.now();
    const arrivals: number[] = [];
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], stream: true });
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) arrivals.push(Date.now() - startedAt);
    expect(arrivals).toHaveLength(5);
    // 100 ms latency, then a 40 ms pause after the role chunk and after each word.
    expect(arrivals[4]).toBeGreaterThanOrEqual(100 + 5 * 40 - 10);
  });
});

describe('rate limits', () => {
  test('every answer carries parseable x-ratelimit headers, a request id and the processing time', async () => {
    const server = await standIn({ rpm: 120, tpm: 60_000 });
    const { data, response } = await client(server)
      .embeddings.create({ model: 'text-embedding-3-small', input: 'one two three' })
      .withResponse();
    const header = (name: string): string => response.headers.get(name) ?? '(missing)';
    expect(header('x-ratelimit-limit-requests')).toBe('120');
    expect(header('x-ratelimit-limit-tokens')).toBe('60000');
    expect(header('x-ratelimit-remaining-requests')).toBe('119');
    expect(Number(header('x-ratelimit-remaining-tokens'))).toBe(60_000 - data.usage.total_tokens);
    // One request of 120/min refills in 500 ms; 3 tokens of 60000/min in 3 ms.
    expect(parseDuration(header('x-ratelimit-reset-requests'))).toBeGreaterThan(450);
    expect(parseDuration(header('x-ratelimit-reset-requests'))).toBeLessThanOrEqual(500);
    expect(parseDuration(header('x-ratelimit-reset-tokens'))).toBeLessThanOrEqual(3);
    expect(header('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(Number(header('openai-processing-ms'))).toBeGreaterThanOrEqual(0);
  });

  test('durations are formatted the way OpenAI writes them', () => {
    expect(formatOpenAIDuration(0)).toBe('0s');
    expect(formatOpenAIDuration(12)).toBe('12ms');
    expect(formatOpenAIDuration(11.2)).toBe('12ms');
    expect(formatOpenAIDuration(1000)).toBe('1s');
    expect(formatOpenAIDuration(9816)).toBe('9.816s');
    expect(formatOpenAIDuration(90_500)).toBe('1m30.5s');
    expect(formatOpenAIDuration(360_000)).toBe('6m0s');
    expect(formatOpenAIDuration(3_600_000)).toBe('1h0m0s');
  });

  test('exceeding the RPM budget is a 429 of type requests with retry-after', async () => {
    const server = await standIn({ rpm: 2 });
    const openai = client(server);
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'a' });
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'b' });
    const error = await failure(openai.embeddings.create({ model: 'text-embedding-3-small', input: 'c' }), OpenAI.RateLimitError);

    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.type).toBe('requests');
    expect(error.message).toMatch(
      /Rate limit reached for text-embedding-3-small in organization \S+ on requests per min \(RPM\): Limit 2, Used 2, Requested 1\. Please try again in (\S+)\./,
    );
    // Two requests of 2/min: the first one is back 30 s after it was spent.
    const retryAfter = Number(error.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(29);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(Number(error.headers.get('retry-after-ms'))).toBeGreaterThan(29_000);
    expect(error.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    // Budgets are per model, as at OpenAI.
    await expect(openai.embeddings.create({ model: 'text-embedding-3-large', input: 'c' })).resolves.toBeDefined();
  });

  test('exceeding the TPM budget is a 429 of type tokens, and the budget refills continuously', async () => {
    const server = await standIn({ tpm: 6000 }); // refills 100 tokens a second
    const openai = client(server);
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: textOfTokens(5990) });
    const error = await failure(openai.embeddings.create({ model: 'text-embedding-3-small', input: textOfTokens(50) }), OpenAI.RateLimitError);
    expect(error.type).toBe('tokens');
    expect(error.message).toMatch(/on tokens per min \(TPM\): Limit 6000, Used 59\d\d, Requested 50\. Please try again in \d+ms\./);
    // 10 tokens were left and 40 more refill in 400 ms (less, by however long the first call took).
    const waitMs = Number(error.headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(400);

    await new Promise((resolve) => setTimeout(resolve, waitMs + 50));
    await expect(openai.embeddings.create({ model: 'text-embedding-3-small', input: textOfTokens(50) })).resolves.toBeDefined();
  });

  test('a request larger than the whole TPM budget is "Request too large" with no retry-after', async () => {
    const server = await standIn({ tpm: 1000 });
    const error = await failure(
      client(server).embeddings.create({ model: 'text-embedding-3-small', input: textOfTokens(1001) }),
      OpenAI.RateLimitError,
    );
    expect(error.message).toContain('Request too large for text-embedding-3-small');
    expect(error.message).toContain('Limit 1000, Requested 1001');
    expect(error.headers.get('retry-after')).toBeNull();
  });

  test('chat requests spend prompt tokens plus max_tokens of the TPM budget', async () => {
    const server = await standIn({ tpm: 100_000 });
    const { response } = await client(server)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }], max_tokens: 1000 })
      .withResponse();
    // 3 + (3 + 1 + 2) prompt tokens, plus the 1000 requested.
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(100_000 - 9 - 1000));
  });
});

describe('faults', () => {
  test('a scripted 429 with retry-after carries the headers; without, it carries none', async () => {
    const server = await standIn();
    const openai = client(server);
    server.injectFaults({ status: 429, retryAfterSeconds: 0.5 }, { status: 429 });

    const withRetry = await failure(openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }), OpenAI.RateLimitError);
    expect(withRetry.code).toBe('rate_limit_exceeded');
    expect(withRetry.headers.get('retry-after')).toBe('1');
    expect(withRetry.headers.get('retry-after-ms')).toBe('500');

    const without = await failure(openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }), OpenAI.RateLimitError);
    expect(without.code).toBe('rate_limit_exceeded');
    expect(without.headers.get('retry-after')).toBeNull();
    expect(without.headers.get('retry-after-ms')).toBeNull();

    await expect(openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' })).resolves.toBeDefined();
    expect(server.requests.map((r) => r.fault?.kind ?? 'none')).toEqual(['429-retry-after', '429', 'none']);
  });

  test('a scripted insufficient_quota 429 has the quota body', async () => {
    const server = await standIn();
    server.injectFaults({ status: 429, code: 'insufficient_quota' });
    const error = await failure(
      client(server).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      OpenAI.RateLimitError,
    );
    expect(error.code).toBe('insufficient_quota');
    expect(error.type).toBe('insufficient_quota');
    expect(error.message).toContain('You exceeded your current quota, please check your plan and billing details.');
  });

  test('scripted server errors apply to the next requests in order, and the SDK retries them', async () => {
    const server = await standIn();
    server.injectFaults({ status: 500 }, { status: 503, retryAfterSeconds: 0.01 });

    const first = await failure(client(server).embeddings.create({ model: 'text-embedding-3-small', input: 'x' }), OpenAI.InternalServerError);
    expect(first.status).toBe(500);
    expect(first.error).toEqual({
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    });
    // With retries, the SDK waits the retry-after-ms of the 503 and then succeeds.
    const retried = await client(server, { maxRetries: 2 }).embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    expect(retried.data).toHaveLength(1);
    expect(server.requests.map((r) => r.status)).toEqual([500, 503, 200]);
  });

  test('a scripted delay trips the client timeout and a disconnect is a connection error', async () => {
    const server = await standIn();
    server.injectFaults({ delayMs: 2000 }, { disconnect: true });
    const startedAt = Date.now();
    // Under plain Node the SDK reports this as APIConnectionTimeoutError; in Jest's VM realm its
    // `instanceof Error` test misses fetch's AbortError, so only the parent class is certain here.
    await failure(
      client(server, { timeout: 200 }).embeddings.create({ model: 'text-embedding-3-small', input: 'x' }),
      OpenAI.APIConnectionError,
    );
    expect(Date.now() - startedAt).toBeLessThan(1500);
    const dropped = await failure(client(server).embeddings.create({ model: 'text-embedding-3-small', input: 'x' }), OpenAI.APIConnectionError);
    expect(dropped).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(server.requests.map((r) => r.fault?.kind)).toEqual(['slow', 'disconnect']);
  });

  test('random faults are reproducible for a seed and differ across seeds', async () => {
    async function run(seed: number): Promise<string[]> {
      const server = await standIn({ faultRate: 0.5, seed, faultDelayMs: 5, faultRetryAfterMs: 10 });
      const openai = client(server);
      for (let i = 0; i < 30; i++) {
        await openai.embeddings.create({ model: 'text-embedding-3-small', input: `text ${i}` }).catch(() => undefined);
      }
      return server.requests.map((r) => `${r.status}:${r.fault?.kind ?? 'none'}`);
    }
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const kinds = new Set(a.map((entry) => entry.split(':')[1]));
    expect(kinds.has('none')).toBe(true);
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    // Each fault kind answers as it should.
    for (const entry of a) {
      const [status, kind] = entry.split(':');
      const expected = { none: '200', slow: '200', '429': '429', '429-retry-after': '429', '500': '500', '503': '503' }[kind ?? ''];
      expect(status).toBe(expected);
    }
  });
});
