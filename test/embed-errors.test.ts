/**
 * How embedding failures reach the user: a refused input is named, an exhausted quota stops the
 * ingest with nothing half-written, and the next run resumes without paying again for what was
 * stored. The OpenAI stand-in over HTTP, a real database of each kind.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { embed } from '../src/stages/embed.js';
import { collect } from '../src/iter/pipe.js';
import { ingest } from '../src/index.js';
import { InputError, ModelError } from '../src/errors.js';
import type { Database } from '../src/store/database.js';
import type { Chunk, ChunkedDocument } from '../src/types.js';
import { chunkOf } from './support/builders.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const inputsOf = (s: OpenAIStandIn) => s.requests.filter((r) => r.path === '/v1/embeddings').map((r) => (r.body as { input: string[] }).input);

const chunk = chunkOf;
async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('an input the API refuses', () => {
  let standIn: OpenAIStandIn;
  beforeAll(async () => {
    standIn = await startOpenAIStandIn();
  });
  afterAll(async () => {
    await standIn.close();
  });

  test('is named by URL and chunk, found without sending any batch twice', async () => {
    const docs: ChunkedDocument[] = [0, 1].map((d) => {
      const url = `https://x.test/${d}`;
      return {
        document: { url, title: 't', contentType: 'text/html', fetchedAt: new Date(), blocks: [], contentHash: String(d) },
        chunks: Array.from({ length: 8 }, (_, c) => chunk(url, c, d === 1 && c === 5 ? '' : `document ${d} chunk ${c}`)),
      };
    });
    const model = createOpenAIEmbedding({ apiKey: 'refused', baseURL: standIn.url });
    const run = collect(embed(from(docs), { model, batchSize: 16, concurrency: 1 }));
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(/^Chunk 5 of https:\/\/x\.test\/1 \(0 tokens\) was refused by text-embedding-3-small: .*400/);
    const refused = standIn.requests.filter((r) => r.status === 400).map((r) => JSON.stringify((r.body as { input: string[] }).input));
    expect(refused.length).toBeGreaterThan(1);
    expect(new Set(refused).size).toBe(refused.length);
    expect(refused.at(-1)).toBe(JSON.stringify(['']));
  });
});

describeEachDatabase('an exhausted quota during an ingest', (backend) => {
  let db: Database & { drop(): Promise<void> };
  let standIn: OpenAIStandIn;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-quota-'));
    for (let i = 0; i < 12; i++) {
      const paragraphs = Array.from({ length: 6 }, (_, p) => `Paragraph ${p} of page ${i} explains topic ${i * 10 + p} in enough words to make a chunk of its own, with details that differ.`);
      await writeFile(path.join(dir, `page-${String(i).padStart(2, '0')}.md`), `# Page ${i}\n\n${paragraphs.join('\n\n')}\n`);
    }
    [db, standIn] = await Promise.all([freshDatabase(backend), startOpenAIStandIn()]);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), standIn?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const run = (onFirstStored?: () => void) => {
    let told = false;
    return ingest({
      db,
      source: dir,
      collection: 'quota',
      embedding: createOpenAIEmbedding({ apiKey: `quota-${backend}`, baseURL: standIn.url }),
      chunk: { maxTokens: 40 },
      embed: { batchSize: 6, concurrency: 1 },
      onProgress: (p) => {
        if (!told && p.outcome === 'new' && onFirstStored) {
          told = true;
          onFirstStored();
        }
      },
    });
  };

  const storedState = async () => {
    const { rows } = await db.pool.query<{ source: string; chunk_count: number; n: number }>(
      `SELECT d.source, d.chunk_count, (SELECT count(*)::int FROM chunks k WHERE k.document_id = d.id) AS n FROM documents d ORDER BY d.source`,
    );
    return rows;
  };

  test('stops at once with one clear line, and every stored page has all its vectors', async () => {
    const failure = run(() => standIn.injectFaults({ status: 429, code: 'insufficient_quota' }));
    await expect(failure).rejects.toThrow(ModelError);
    await expect(failure).rejects.toThrow(/no quota left \(insufficient_quota\): add credit or use another key/);
    const quota = standIn.requests.filter((r) => r.status === 429);
    expect(quota).toHaveLength(1); // not retried
    const stored = await storedState();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThan(12);
    for (const doc of stored) expect(doc.n).toBe(doc.chunk_count);
  });

  test('the next run embeds only what was not stored, then a third run sends nothing', async () => {
    const before = await storedState();
    const { rows } = await db.pool.query<{ text_hash: string }>('SELECT text_hash FROM chunks');
    const storedHashes = new Set(rows.map((r) => r.text_hash));
    standIn.requests.length = 0;
    const summary = await run();
    expect(summary).toMatchObject({ documents: 12, unchanged: before.length, new: 12 - before.length });
    const sent = inputsOf(standIn).flat();
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((text) => storedHashes.has(sha(text)))).toEqual([]);
    const after = await storedState();
    expect(after).toHaveLength(12);
    for (const doc of after) expect(doc.n).toBe(doc.chunk_count);

    standIn.requests.length = 0;
    const again = await run();
    expect(again).toMatchObject({ documents: 12, unchanged: 12, embeddedChunks: 0 });
    expect(inputsOf(standIn)).toEqual([]);
  });
});
