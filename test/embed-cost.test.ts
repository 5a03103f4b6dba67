/**
 * Cost up front and at the end: `dryRun` counts pages, chunks and tokens and prices them without a
 * single embedding request or store write; a real run reports the tokens it paid for and their
 * price. The OpenAI stand-in over HTTP, a real database of each kind, and the CLI.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { ingest } from '../src/index.js';
import { embeddingCost, formatUsd } from '../src/models/cost.js';
import type { Database } from '../src/store/database.js';
import { runCliInProcess } from './support/cli.js';

describe('prices', () => {
  test('embedding cost from the catalog, half through the Batch API, unknown models unpriced', () => {
    expect(embeddingCost('text-embedding-3-small', 1_000_000)).toBeCloseTo(0.02, 10);
    expect(embeddingCost('text-embedding-3-large', 2_000_000)).toBeCloseTo(0.26, 10);
    expect(embeddingCost('text-embedding-3-small', 1_000_000, { batch: true })).toBeCloseTo(0.01, 10);
    expect(embeddingCost('nomic-embed-text', 1_000_000)).toBeUndefined();
  });

  test('small amounts keep two significant digits', () => {
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(12.4)).toBe('$12.40');
    expect(formatUsd(0.00042)).toBe('$0.00042');
    expect(formatUsd(0.0031)).toBe('$0.0031');
  });
});

describeEachDatabase('dry run and cost of an ingest', (backend) => {
  let db: Database & { url?: string; drop(): Promise<void> };
  let standIn: OpenAIStandIn;
  let dir: string;
  const embeddingCalls = () => standIn.requests.filter((r) => r.path === '/v1/embeddings');
  const model = () => createOpenAIEmbedding({ apiKey: 'cost', baseURL: standIn.url });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-cost-'));
    for (let i = 0; i < 5; i++) {
      const body = Array.from({ length: 4 }, (_, p) => `Paragraph ${p} of page ${i}: the scheduler waits for the budget before request ${i * 4 + p}.`).join('\n\n');
      await writeFile(path.join(dir, `page-${i}.md`), `# Page ${i}\n\n${body}\n`);
    }
    await writeFile(path.join(dir, 'empty.md'), '');
    [db, standIn] = await Promise.all([freshDatabase(backend), startOpenAIStandIn()]);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), standIn?.close()]);
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    standIn.requests.length = 0;
  });

  test('counts and prices without calling the API or writing, and a real run then matches it', async () => {
    const estimate = await ingest({ db, source: dir, collection: 'costs', embedding: model(), chunk: { maxTokens: 32 }, dryRun: true });
    expect(embeddingCalls()).toHaveLength(0);
    const { rows } = await db.pool.query<{ n: number }>('SELECT (SELECT count(*)::int FROM collections) + (SELECT count(*)::int FROM documents) AS n');
    expect(rows[0]!.n).toBe(0);
    expect(estimate).toMatchObject({ dryRun: true, documents: 5, new: 5, unchanged: 0, empty: 1, cachedChunks: 0 });
    expect(estimate.chunks).toBeGreaterThan(5);
    expect(estimate.embeddedChunks).toBe(estimate.chunks);
    expect(estimate.costUsd).toBeCloseTo((estimate.embeddedTokens * 0.02) / 1e6, 12);
    expect(estimate.batchCostUsd).toBeCloseTo(estimate.costUsd! / 2, 12);

    const real = await ingest({ db, source: dir, collection: 'costs', embedding: model(), chunk: { maxTokens: 32 } });
    expect(real.dryRun).toBeUndefined();
    expect(real).toMatchObject({ documents: 5, new: 5, chunks: estimate.chunks, embeddedChunks: estimate.embeddedChunks, embeddedTokens: estimate.embeddedTokens });
    expect(real.costUsd).toBeCloseTo(estimate.costUsd!, 12);
  });

  test('after the real run, a dry run finds everything unchanged and free', async () => {
    const estimate = await ingest({ db, source: dir, collection: 'costs', embedding: model(), chunk: { maxTokens: 32 }, dryRun: true });
    expect(estimate).toMatchObject({ dryRun: true, documents: 5, unchanged: 5, chunks: 0, embeddedTokens: 0, costUsd: 0 });
    expect(embeddingCalls()).toHaveLength(0);
  });

  test('another collection with the same model finds every text already embedded', async () => {
    const estimate = await ingest({ db, source: dir, collection: 'other', embedding: model(), chunk: { maxTokens: 32 }, dryRun: true });
    // Another collection, same model: every text already has a vector.
    expect(estimate).toMatchObject({ new: 5, embeddedChunks: 0, embeddedTokens: 0 });
    expect(estimate.cachedChunks).toBe(estimate.chunks);
  });

  test('ragline ingest --dry-run prints pages, chunks, tokens and the price in one line', async () => {
    const env: NodeJS.ProcessEnv = { OPENAI_BASE_URL: standIn.url, OPENAI_API_KEY: 'cli' };
    const r = await runCliInProcess(['ingest', dir, '--collection', 'cli-costs', '--chunk-tokens', '32', '--dry-run'], { env, database: db });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Dry run for "cli-costs": 5 pages \(5 new, 0 changed, 0 unchanged, 1 without text\) · \d+ chunks · [\d,]+ tokens to embed \(\d+ chunks reused\) · (≈ \$[\d.]+ \(\$[\d.]+ with --batch-api\)); nothing was embedded or written\./);
    expect(embeddingCalls()).toHaveLength(0);
  });
});
