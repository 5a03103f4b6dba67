/**
 * `--batch-api`: an ingest whose embeddings go through the Files and Batch APIs of the stand-in
 * over HTTP, recorded in a real database of each kind so an interrupted run picks its batches up.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import { startOpenAIStandIn, featureHashEmbedding, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { ingest } from '../src/index.js';
import { fromVectorText } from '../src/store/vector-sql.js';
import { ConfigError } from '../src/errors.js';
import type { BatchEvent } from '../src/embed/batch-api.js';
import type { Database } from '../src/store/database.js';

describeEachDatabase('embedding through the Batch API', (backend) => {
  let db: Database & { drop(): Promise<void> };
  let standIn: OpenAIStandIn;
  let dir: string;
  const calls = (method: string, prefix: string) => standIn.requests.filter((r) => r.method === method && r.path.startsWith(prefix));
  const model = () => createOpenAIEmbedding({ apiKey: 'batch', baseURL: standIn.url });
  const batchIngest = (collection: string, extra: { onEvent?: (e: BatchEvent) => void; limits?: { maxEmbeddingInputs?: number }; signal?: AbortSignal } = {}) =>
    ingest({
      db,
      source: dir,
      collection,
      embedding: model(),
      chunk: { maxTokens: 32 },
      batchApi: { pollIntervalMs: 5, ...(extra.onEvent ? { onEvent: extra.onEvent } : {}), ...(extra.limits ? { limits: extra.limits } : {}) },
      ...(extra.signal ? { signal: extra.signal } : {}),
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-batch-'));
    for (let i = 0; i < 6; i++) {
      const body = Array.from({ length: 4 }, (_, p) => `Paragraph ${p} of page ${i}: batch jobs finish within a day and cost half, request ${i * 4 + p}.`).join('\n\n');
      await writeFile(path.join(dir, `page-${i}.md`), `# Page ${i}\n\n${body}\n`);
    }
    [db, standIn] = await Promise.all([freshDatabase(backend), startOpenAIStandIn()]);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), standIn?.close()]);
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    standIn.requests.length = 0;
  });

  test('uploads one request file, polls the batch, stores the vectors it returns, and sends no direct request', async () => {
    const summary = await batchIngest('batch-a');
    expect(summary).toMatchObject({ documents: 6, new: 6, cachedChunks: 0 });
    expect(summary.embeddedChunks).toBe(summary.chunks);
    expect(calls('POST', '/v1/embeddings')).toHaveLength(0);
    expect(calls('POST', '/v1/files')).toHaveLength(1);
    expect(calls('POST', '/v1/files')[0]!.body).toMatchObject({ purpose: 'batch' });
    expect(calls('POST', '/v1/batches')).toHaveLength(1);
    expect(calls('POST', '/v1/batches')[0]!.body).toMatchObject({ endpoint: '/v1/embeddings', completion_window: '24h' });
    expect(calls('GET', '/v1/batches').length).toBeGreaterThanOrEqual(2);
    expect(calls('GET', '/v1/files').filter((r) => r.path.endsWith('/content'))).toHaveLength(1);

    // Every stored vector is the stand-in's embedding of one input of the uploaded request file.
    const file = await db.pool.query<{ input_file_id: string }>('SELECT input_file_id FROM embedding_batches');
    const client = await model().client();
    const content = await (await client.files.content(file.rows[0]!.input_file_id)).text();
    const inputs = content.trim().split('\n').flatMap((l) => (JSON.parse(l) as { body: { input: string[] } }).body.input);
    expect(inputs).toHaveLength(summary.chunks);
    const expected = new Set(inputs.map((t) => Array.from(featureHashEmbedding(t, 1536), (v) => v.toFixed(5)).join(',')));
    const { rows } = await db.pool.query<{ embedding: string }>(
      `SELECT k.embedding::text AS embedding FROM chunks k JOIN collections c ON c.id = k.collection_id WHERE c.name = 'batch-a'`,
    );
    expect(rows).toHaveLength(summary.chunks);
    for (const r of rows) expect(expected.has(Array.from(fromVectorText(r.embedding), (v) => v.toFixed(5)).join(','))).toBe(true);
    const batches = await db.pool.query<{ status: string; input_count: number }>('SELECT status, input_count FROM embedding_batches');
    expect(batches.rows).toEqual([{ status: 'completed', input_count: summary.chunks }]);
  });

  test('a second ingest of the unchanged folder makes no batch at all', async () => {
    const summary = await batchIngest('batch-a');
    expect(summary).toMatchObject({ documents: 6, unchanged: 6 });
    expect(standIn.requests).toHaveLength(0);
  });

  test('inputs beyond a batch limit go to further batches, none over it', async () => {
    const summary = await batchIngest('batch-b', { limits: { maxEmbeddingInputs: 10 } });
    // The texts are those of batch-a: found in the store, nothing to send.
    expect(summary.cachedChunks).toBe(summary.chunks);
    expect(calls('POST', '/v1/batches')).toHaveLength(0);

    await writeFile(path.join(dir, 'page-extra.md'), `# Extra\n\n${Array.from({ length: 12 }, (_, p) => `New paragraph ${p} about splitting batches at their input limit, number ${p}.`).join('\n\n')}\n`);
    const more = await batchIngest('batch-b', { limits: { maxEmbeddingInputs: 10 } });
    const { rows } = await db.pool.query<{ input_count: number; status: string }>(`SELECT input_count, status FROM embedding_batches WHERE id > (SELECT min(id) FROM embedding_batches) ORDER BY id`);
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.every((r) => r.input_count <= 10 && r.status === 'completed')).toBe(true);
    expect(rows.reduce((n, r) => n + r.input_count, 0)).toBe(more.embeddedChunks);
    await rm(path.join(dir, 'page-extra.md'));
  });

  test('an ingest stopped after its batch was submitted picks the same batch up on the next run', async () => {
    await writeFile(path.join(dir, 'page-late.md'), '# Late\n\nA page added later, to be embedded by a batch that outlives its process.\n');
    const stop = new AbortController();
    const first = batchIngest('batch-c', { signal: stop.signal, onEvent: (e) => e.type === 'submitted' && stop.abort() });
    await expect(first).rejects.toThrow();
    const open = await db.pool.query<{ batch_id: string; status: string }>(`SELECT batch_id, status FROM embedding_batches ORDER BY id DESC LIMIT 1`);
    expect(open.rows[0]!.status).toBe('validating');
    expect(calls('POST', '/v1/batches')).toHaveLength(1);

    standIn.requests.length = 0;
    const events: BatchEvent[] = [];
    const second = await batchIngest('batch-c', { onEvent: (e) => events.push(e) });
    expect(second.documents).toBe(7);
    expect(calls('POST', '/v1/files')).toHaveLength(0);
    expect(calls('POST', '/v1/batches')).toHaveLength(0);
    expect(events[0]).toEqual({ type: 'resumed', batchId: open.rows[0]!.batch_id, status: 'validating' });
    expect(events.some((e) => e.type === 'downloaded')).toBe(true);
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM chunks k JOIN documents d ON d.id = k.document_id WHERE d.source LIKE '%page-late.md'`);
    expect(rows[0]!.n).toBeGreaterThan(0);
    await rm(path.join(dir, 'page-late.md'));
  });

  test('a model that is not an OpenAI one is refused with the reason', async () => {
    await expect(ingest({ db, source: dir, collection: 'batch-local', embedding: createLexicalEmbedding(), batchApi: true })).rejects.toThrow(ConfigError);
  });
});
