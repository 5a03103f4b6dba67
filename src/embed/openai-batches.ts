/**
 * The Batch API's side of `embedWithBatchApi`, and the store's record of it: upload a request file
 * and start its batch, find batches of earlier runs, look at a batch, download its vectors. Each
 * step is written to `embedding_batches` / `embedding_batch_inputs` before the next, so a process
 * stopped at any point finds its batches on the next run.
 */
import type OpenAI from 'openai';
import type pg from 'pg';
import type { OpenAIEmbeddingModel } from '../models/openai/embedding.js';
import { loadOpenAISdk } from '../models/openai/client.js';
import { withTransaction } from '../store/transaction.js';
import type { Chunk } from '../types.js';

/** Where batches are sent and recorded. */
export interface BatchTarget {
  model: OpenAIEmbeddingModel;
  pool: pg.Pool;
  /** The client's base URL: batches are reused only on the same server. */
  baseURL: string;
  signal: AbortSignal | undefined;
}

/** One request line of a batch's input file. */
export interface Line {
  customId: string;
  chunks: Chunk[];
  json: string;
}

/** A row of `embedding_batches`. */
export interface BatchRow {
  id: number;
  batch_id: string | null;
  input_file_id: string;
  status: string;
  output_file_id: string | null;
}

/** Embedding inputs over all lines. */
export function inputCount(lines: readonly Line[]): number {
  return lines.reduce((n, l) => n + l.chunks.length, 0);
}

/** Tokens over all lines. */
export function tokenCount(lines: readonly Line[]): number {
  return lines.reduce((n, l) => n + l.chunks.reduce((m, c) => m + c.tokenCount, 0), 0);
}

function requestOptions(signal: AbortSignal | undefined): { signal: AbortSignal } | undefined {
  return signal ? { signal } : undefined;
}

/**
 * Batches of earlier runs, on this server with this model, that cover some of `textHashes` and may
 * still deliver; for each text, the newest such batch.
 */
export async function findOpenBatches(target: BatchTarget, textHashes: string[]): Promise<Array<BatchRow & { text_hash: string }>> {
  const { model } = target;
  const { rows } = await target.pool.query<BatchRow & { text_hash: string }>(
    `SELECT DISTINCT ON (i.text_hash) b.id::int AS id, b.batch_id, b.input_file_id, b.status, b.output_file_id, i.text_hash
       FROM embedding_batch_inputs i JOIN embedding_batches b ON b.id = i.batch_id
      WHERE i.text_hash = ANY($1::text[]) AND b.base_url = $2 AND b.model = $3 AND b.dimensions = $4
        AND b.status NOT IN ('failed', 'expired', 'cancelled')
      ORDER BY i.text_hash, b.id DESC`,
    [textHashes, target.baseURL, model.modelId, model.dimensions],
  );
  return rows;
}

async function createBatch(target: BatchTarget, inputFileId: string): Promise<OpenAI.Batch> {
  const client = await target.model.client();
  return client.batches.create({ input_file_id: inputFileId, endpoint: '/v1/embeddings', completion_window: '24h' }, requestOptions(target.signal));
}

async function recordBatchId(target: BatchTarget, rowId: number, batch: OpenAI.Batch): Promise<void> {
  await target.pool.query(`UPDATE embedding_batches SET batch_id = $2, status = $3, updated_at = now() WHERE id = $1`, [rowId, batch.id, batch.status]);
}

/** Record an uploaded file and the texts of its lines; returns the `embedding_batches` id. */
async function recordFile(target: BatchTarget, fileId: string, lines: Line[]): Promise<number> {
  const { model } = target;
  return withTransaction(target.pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO embedding_batches (base_url, model, dimensions, input_file_id, request_count, input_count, token_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [target.baseURL, model.modelId, model.dimensions, fileId, lines.length, inputCount(lines), tokenCount(lines)],
    );
    const batchRow = Number(rows[0]!.id);
    const ids: string[] = [];
    const ordinals: number[] = [];
    const hashes: string[] = [];
    for (const l of lines) {
      l.chunks.forEach((c, i) => {
        ids.push(l.customId);
        ordinals.push(i);
        hashes.push(c.textHash);
      });
    }
    await client.query(
      `INSERT INTO embedding_batch_inputs (batch_id, custom_id, ordinal, text_hash)
       SELECT $1, r.custom_id, r.ordinal, r.text_hash FROM unnest($2::text[], $3::int[], $4::text[]) AS r(custom_id, ordinal, text_hash)`,
      [batchRow, ids, ordinals, hashes],
    );
    return batchRow;
  });
}

/** Upload one request file and start its batch, recording each step before the next. */
export async function submit(target: BatchTarget, lines: Line[]): Promise<BatchRow> {
  const [{ toFile }, client] = await Promise.all([loadOpenAISdk(), target.model.client()]);
  const file = await client.files.create(
    { file: await toFile(Buffer.from(lines.map((l) => l.json).join('')), 'ragline-embeddings.jsonl', { type: 'application/jsonl' }), purpose: 'batch' },
    requestOptions(target.signal),
  );
  const id = await recordFile(target, file.id, lines);
  const batch = await createBatch(target, file.id);
  await recordBatchId(target, id, batch);
  return { id, batch_id: batch.id, input_file_id: file.id, status: batch.status, output_file_id: null };
}

/** Start the batch of a file that was uploaded but never accepted (the process stopped in between). */
export async function resubmit(target: BatchTarget, row: BatchRow): Promise<void> {
  const created = await createBatch(target, row.input_file_id);
  await recordBatchId(target, row.id, created);
  row.batch_id = created.id;
}

/** The batch as the API sees it now; undefined when it was never started. */
export async function retrieveBatch(target: BatchTarget, row: BatchRow): Promise<OpenAI.Batch | undefined> {
  if (!row.batch_id) return undefined;
  return (await target.model.client()).batches.retrieve(row.batch_id, requestOptions(target.signal));
}

/** Record a batch's new status (and its files) when it changed. */
export async function recordStatus(target: BatchTarget, row: BatchRow, batch: OpenAI.Batch): Promise<void> {
  if (batch.status === row.status) return;
  await target.pool.query(`UPDATE embedding_batches SET status = $2, output_file_id = $3, error_file_id = $4, updated_at = now() WHERE id = $1`, [
    row.id,
    batch.status,
    batch.output_file_id ?? null,
    batch.error_file_id ?? null,
  ]);
  row.status = batch.status;
}

/** Text hashes of a batch's lines, by custom id, in input order. */
async function lineHashes(pool: pg.Pool, batchRow: number): Promise<Map<string, string[]>> {
  const { rows } = await pool.query<{ custom_id: string; ordinal: number; text_hash: string }>(
    'SELECT custom_id, ordinal, text_hash FROM embedding_batch_inputs WHERE batch_id = $1',
    [batchRow],
  );
  const byLine = new Map<string, string[]>();
  for (const r of rows) {
    const list = byLine.get(r.custom_id) ?? [];
    list[r.ordinal] = r.text_hash;
    byLine.set(r.custom_id, list);
  }
  return byLine;
}

/** Read a completed batch's output file into vectors by text hash. */
export async function download(
  target: BatchTarget,
  batchRow: number,
  outputFileId: string | undefined,
): Promise<{ vectors: Map<string, Float32Array>; failed: number }> {
  const vectors = new Map<string, Float32Array>();
  let failed = 0;
  if (!outputFileId) return { vectors, failed };
  const byLine = await lineHashes(target.pool, batchRow);
  const client = await target.model.client();
  const text = await (await client.files.content(outputFileId, requestOptions(target.signal))).text();
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const line = JSON.parse(raw) as { custom_id: string; response?: { status_code: number; body?: { data?: Array<{ index: number; embedding: unknown }> } }; error?: unknown };
    const hashes = byLine.get(line.custom_id);
    if (!hashes || line.response?.status_code !== 200 || !line.response.body?.data) {
      failed++;
      continue;
    }
    for (const item of line.response.body.data) {
      const hash = hashes[item.index];
      if (hash !== undefined) vectors.set(hash, target.model.decode(item.embedding));
    }
  }
  return { vectors, failed };
}
