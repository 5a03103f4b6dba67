import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { embed } from '../src/stages/embed.js';
import { collect } from '../src/iter/pipe.js';
import type { EmbeddingModel } from '../src/models/spec.js';
import type { Chunk, ChunkedDocument } from '../src/types.js';
import { InputError, ModelError } from '../src/errors.js';
import { chunkOf, chunkedDocument } from './support/builders.js';


const chunk = chunkOf;
function docs(n: number, perDoc: number, text: (d: number, c: number) => string): ChunkedDocument[] {
  return Array.from({ length: n }, (_, d) => {
    const url = `https://x.test/${d}`;
    return chunkedDocument(url, Array.from({ length: perDoc }, (_, c) => chunk(url, c, text(d, c))), { title: 't', contentHash: String(d) });
  });
}
async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}
const embeddingCalls = (s: OpenAIStandIn) => s.requests.filter((r) => r.path === '/v1/embeddings');

describe('embed stage over the OpenAI API', () => {
  let standIn: OpenAIStandIn;
  beforeAll(async () => {
    standIn = await startOpenAIStandIn({ latencyMs: 5 });
  });
  afterAll(async () => {
    await standIn.close();
  });
  beforeEach(() => {
    standIn.requests.length = 0;
  });
  const model = (extra: Partial<Parameters<typeof createOpenAIEmbedding>[0]> = {}) =>
    createOpenAIEmbedding({ apiKey: 'test', baseURL: standIn.url, maxRetries: 0, ...extra });

  test('every chunk gets its vector, documents come out in order, requests stay within 2048 inputs', async () => {
    const input = docs(30, 100, (d, c) => `document ${d} chunk ${c} about queues`);
    const out = await collect(embed(from(input), { model: model(), batchSize: 2048 }));
    expect(out.map((d) => d.document.url)).toEqual(input.map((d) => d.document.url));
    expect(out.every((d) => d.chunks.every((c) => c.embedding.length === 1536))).toBe(true);
    const calls = embeddingCalls(standIn);
    expect(calls.every((r) => r.status === 200)).toBe(true);
    expect(calls.map((r) => (r.body as { input: string[] }).input.length).every((n) => n <= 2048)).toBe(true);
    expect(calls.reduce((n, r) => n + (r.body as { input: string[] }).input.length, 0)).toBe(3000);
  });

  test('requests are cut at 300,000 tokens even when few inputs', async () => {
    const big = 'lorem ipsum dolor sit amet '.repeat(1300).trim(); // ~6,500 tokens
    const input = docs(1, 100, (_d, c) => `${c} ${big}`);
    const out = await collect(embed(from(input), { model: model(), batchSize: 2048 }));
    expect(out[0]!.chunks).toHaveLength(100);
    const calls = embeddingCalls(standIn);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.every((r) => r.status === 200)).toBe(true);
  });

  test('base64 vectors decode to the same floats as float vectors', async () => {
    const input = docs(1, 3, (_d, c) => `vector text ${c}`);
    const [asFloat] = await collect(embed(from(input), { model: model({ encodingFormat: 'float' }) }));
    const [asBase64] = await collect(embed(from(input), { model: model({ encodingFormat: 'base64' }) }));
    expect(embeddingCalls(standIn).map((r) => (r.body as { encoding_format: string }).encoding_format)).toEqual(['float', 'base64']);
    for (let i = 0; i < 3; i++) expect(Array.from(asBase64!.chunks[i]!.embedding)).toEqual(Array.from(asFloat!.chunks[i]!.embedding));
  });

  test('compatible servers get float encoding and no dimensions field by default', async () => {
    await collect(embed(from(docs(1, 1, () => 'hello')), { model: model() }));
    const body = embeddingCalls(standIn)[0]!.body as Record<string, unknown>;
    expect(body.encoding_format).toBe('float');
    expect(body).not.toHaveProperty('dimensions');
  });

  test('reduced dimensions are requested from text-embedding-3 models', async () => {
    const [out] = await collect(embed(from(docs(1, 1, () => 'hello')), { model: model({ model: 'text-embedding-3-large', dimensions: 256 }) }));
    expect(out!.chunks[0]!.embedding.length).toBe(256);
    expect((embeddingCalls(standIn)[0]!.body as Record<string, unknown>).dimensions).toBe(256);
  });

  test('cached vectors are not requested again, and identical texts are sent once', async () => {
    const input = docs(2, 3, (_d, c) => `shared text ${c}`);
    const cachedHash = input[0]!.chunks[0]!.textHash;
    const out = await collect(
      embed(from(input), { model: model(), cache: async (hashes) => new Map(hashes.filter((h) => h === cachedHash).map((h) => [h, new Float32Array(1536).fill(0.5)])) }),
    );
    const sent = embeddingCalls(standIn).flatMap((r) => (r.body as { input: string[] }).input);
    expect(sent.sort()).toEqual(['shared text 1', 'shared text 2']);
    expect(out.map((d) => d.cachedChunks)).toEqual([1, 1]);
    expect(out[1]!.chunks[0]!.embedding[0]).toBe(0.5);
  });

  test('a chunk over the input limit is named before anything is sent', async () => {
    const input = docs(1, 1, () => 'x');
    input[0]!.chunks[0]!.tokenCount = 9000;
    await expect(collect(embed(from(input), { model: model() }))).rejects.toThrow(InputError);
    await expect(collect(embed(from(input), { model: model() }))).rejects.toThrow(/Chunk 0 of https:\/\/x\.test\/0 has 9000 tokens/);
    expect(embeddingCalls(standIn)).toHaveLength(0);
  });

  test('insufficient_quota stops with one clear line', async () => {
    standIn.injectFaults({ status: 429, code: 'insufficient_quota' });
    const run = collect(embed(from(docs(1, 1, () => 'x')), { model: model() }));
    await expect(run).rejects.toThrow(ModelError);
    standIn.injectFaults({ status: 429, code: 'insufficient_quota' });
    await expect(collect(embed(from(docs(1, 1, () => 'x')), { model: model() }))).rejects.toThrow(/no quota left \(insufficient_quota\)/);
  });

  test('a 500 is retried by the client and the run completes', async () => {
    standIn.injectFaults({ status: 500 });
    const out = await collect(embed(from(docs(1, 2, (_d, c) => `retry ${c}`)), { model: createOpenAIEmbedding({ apiKey: 'test', baseURL: standIn.url, maxRetries: 2 }) }));
    expect(out[0]!.chunks).toHaveLength(2);
    expect(embeddingCalls(standIn).map((r) => r.status)).toEqual([500, 200]);
  });
});

describe('embed stage concurrency', () => {
  test('never has more requests in flight than `concurrency`', async () => {
    const inner = createLexicalEmbedding();
    let inFlight = 0;
    let peak = 0;
    const recording: EmbeddingModel = {
      ...inner,
      async embed(request) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return inner.embed(request);
      },
    };
    const out = await collect(embed(from(docs(50, 4, (d, c) => `t ${d} ${c}`)), { model: recording, batchSize: 8, concurrency: 3 }));
    expect(out).toHaveLength(50);
    expect(peak).toBe(3);
  });
});
