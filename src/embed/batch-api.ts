/**
 * The embed stage through OpenAI's Batch API, for large backfills at half price: the inputs that
 * need vectors are written as JSONL request files within the Batch API's limits, uploaded, run as
 * batches, polled, downloaded, and the documents come out with their vectors like `embed`'s.
 *
 * Every batch is recorded in Postgres (`embedding_batches`, `embedding_batch_inputs`) as soon as its
 * file is uploaded, so a process that stops at any point — while uploading, waiting hours for the
 * batch, or storing — finds its batches on the next run and polls them instead of paying again.
 */
import type pg from 'pg';
import { ConfigError, ModelError } from '../errors.js';
import { checkNumber } from '../options/check.js';
import { splitBy } from '../iter/batch-by.js';
import { sleep } from '../net/retry.js';
import type { OpenAIEmbeddingModel } from '../models/openai/embedding.js';
import { loadOpenAISdk } from '../models/openai/client.js';
import type { EmbeddingModel } from '../models/spec.js';
import { withTransaction } from '../store/transaction.js';
import type { Chunk, ChunkedDocument, EmbeddedChunk, EmbeddedDocument } from '../types.js';

/** Limits on one batch. */
export interface BatchLimits {
  /** Request lines in the file. */
  maxRequests: number;
  /** Size of the file in bytes. */
  maxBytes: number;
  /** Embedding inputs over all lines. */
  maxEmbeddingInputs: number;
}

/** The Batch API's limits on one batch. */
export const BATCH_API_LIMITS: Readonly<BatchLimits> = { maxRequests: 50_000, maxBytes: 200 * 1024 * 1024, maxEmbeddingInputs: 50_000 };

/** Batch statuses after which nothing more happens. */
const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

/** Progress of a batch embedding. */
export type BatchEvent =
  | { type: 'submitted'; batchId: string; requests: number; inputs: number; tokens: number }
  | { type: 'resumed'; batchId: string; status: string }
  | { type: 'status'; batchId: string; status: string; completed: number; total: number }
  | { type: 'downloaded'; batchId: string; vectors: number };

/** Options of {@link embedWithBatchApi}. */
export interface BatchApiOptions {
  /** The store where batches are recorded. */
  pool: pg.Pool;
  /** An OpenAI embedding model (`createOpenAIEmbedding`); its client and request body are used. */
  model: EmbeddingModel;
  /** Vectors already paid for, by text hash (as for `embed`). */
  cache?: (textHashes: string[]) => Promise<Map<string, Float32Array>>;
  /**
   * Time between two looks at a batch's status, in milliseconds.
   * @default 30000
   */
  pollIntervalMs?: number;
  /**
   * Inputs per request line.
   * @default 512
   */
  inputsPerRequest?: number;
  /**
   * Limits of one batch; lower them to split a backfill into more batches.
   * @default BATCH_API_LIMITS
   */
  limits?: Partial<BatchLimits>;
  onEvent?: (event: BatchEvent) => void;
  signal?: AbortSignal;
}

interface Line {
  customId: string;
  chunks: Chunk[];
  json: string;
}

interface BatchRow {
  id: number;
  batch_id: string | null;
  input_file_id: string;
  status: string;
  output_file_id: string | null;
}

function asOpenAI(model: EmbeddingModel): OpenAIEmbeddingModel {
  const m = model as Partial<OpenAIEmbeddingModel>;
  if (typeof m.requestBody !== 'function' || typeof m.client !== 'function' || typeof m.decode !== 'function') {
    throw new ConfigError('model', model.modelId, `The Batch API needs an OpenAI embedding model; ${model.provider}/${model.modelId} is not one: drop \`batchApi\` or set OPENAI_API_KEY.`);
  }
  return m as OpenAIEmbeddingModel;
}

/**
 * Embed every chunk through the Batch API and yield the documents with their vectors, in input
 * order. All documents are read first (a batch is one job), so use it for backfills, not for
 * streaming ingestion.
 */
export async function* embedWithBatchApi(source: AsyncIterable<ChunkedDocument>, options: BatchApiOptions): AsyncGenerator<EmbeddedDocument> {
  const model = asOpenAI(options.model);
  const { pool, signal } = options;
  const pollIntervalMs = checkNumber('pollIntervalMs', options.pollIntervalMs ?? 30_000, { min: 0 });
  const limits = { ...BATCH_API_LIMITS, ...options.limits };
  const inputsPerRequest = Math.min(options.inputsPerRequest ?? 512, model.maxInputsPerCall, limits.maxEmbeddingInputs);
  const baseURL = (await model.client()).baseURL;

  const docs: ChunkedDocument[] = [];
  for await (const doc of source) {
    for (const c of doc.chunks) {
      if (c.tokenCount > model.maxInputTokens) {
        throw new ConfigError('chunk', c.url, `Chunk ${c.ordinal} of ${c.url} has ${c.tokenCount} tokens, over ${model.modelId}'s limit of ${model.maxInputTokens}: lower \`maxTokens\`.`);
      }
    }
    docs.push(doc);
  }
  const distinct = new Map<string, Chunk>();
  for (const d of docs) for (const c of d.chunks) if (!distinct.has(c.textHash)) distinct.set(c.textHash, c);
  const hashes = [...distinct.keys()];
  const cached = new Map<string, Float32Array>();
  if (options.cache) {
    for (let i = 0; i < hashes.length; i += 1000) for (const [h, v] of await options.cache(hashes.slice(i, i + 1000))) cached.set(h, v);
  }
  const needed = hashes.filter((h) => !cached.has(h));

  // Batches of earlier runs that cover some of these texts and may still deliver.
  const { rows: open } = await pool.query<BatchRow & { text_hash: string }>(
    `SELECT DISTINCT ON (i.text_hash) b.id::int AS id, b.batch_id, b.input_file_id, b.status, b.output_file_id, i.text_hash
       FROM embedding_batch_inputs i JOIN embedding_batches b ON b.id = i.batch_id
      WHERE i.text_hash = ANY($1::text[]) AND b.base_url = $2 AND b.model = $3 AND b.dimensions = $4
        AND b.status NOT IN ('failed', 'expired', 'cancelled')
      ORDER BY i.text_hash, b.id DESC`,
    [needed, baseURL, model.modelId, model.dimensions],
  );
  const pending = new Map<number, BatchRow>();
  const covered = new Set<string>();
  for (const r of open) {
    covered.add(r.text_hash);
    pending.set(r.id, r);
  }
  for (const r of pending.values()) options.onEvent?.({ type: 'resumed', batchId: r.batch_id ?? r.input_file_id, status: r.status });

  // New batches for the rest.
  const toSend = needed.filter((h) => !covered.has(h)).map((h) => distinct.get(h)!);
  const requests = splitBy(toSend, { maxItems: inputsPerRequest, maxWeight: model.maxTokensPerCall, weight: (c) => c.tokenCount });
  let lines: Line[] = [];
  let bytes = 0;
  let inputs = 0;
  const flush = async () => {
    if (lines.length === 0) return;
    const row = await submit(model, pool, lines, baseURL, signal);
    pending.set(row.id, row);
    options.onEvent?.({ type: 'submitted', batchId: row.batch_id!, requests: lines.length, inputs, tokens: lines.reduce((n, l) => n + l.chunks.reduce((m, c) => m + c.tokenCount, 0), 0) });
    lines = [];
    bytes = 0;
    inputs = 0;
  };
  for (const [i, chunks] of requests.entries()) {
    const customId = `r${i}-${chunks[0]!.textHash.slice(0, 16)}`;
    const json = `${JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/embeddings', body: model.requestBody(chunks.map((c) => c.embeddingInput)) })}\n`;
    const size = Buffer.byteLength(json);
    if (lines.length > 0 && (lines.length + 1 > limits.maxRequests || bytes + size > limits.maxBytes || inputs + chunks.length > limits.maxEmbeddingInputs)) await flush();
    lines.push({ customId, chunks, json });
    bytes += size;
    inputs += chunks.length;
  }
  await flush();

  // Wait for every batch, then read its vectors.
  const vectors = new Map<string, Float32Array>(cached);
  while (pending.size > 0) {
    for (const row of [...pending.values()]) {
      signal?.throwIfAborted();
      const batch = row.batch_id ? await (await model.client()).batches.retrieve(row.batch_id, signal ? { signal } : undefined) : undefined;
      if (!batch) {
        // Uploaded, never accepted (the process stopped in between): submit the same file now.
        const created = await createBatch(model, row.input_file_id, signal);
        await pool.query(`UPDATE embedding_batches SET batch_id = $2, status = $3, updated_at = now() WHERE id = $1`, [row.id, created.id, created.status]);
        row.batch_id = created.id;
        continue;
      }
      if (batch.status !== row.status) {
        await pool.query(`UPDATE embedding_batches SET status = $2, output_file_id = $3, error_file_id = $4, updated_at = now() WHERE id = $1`, [
          row.id,
          batch.status,
          batch.output_file_id ?? null,
          batch.error_file_id ?? null,
        ]);
        row.status = batch.status;
      }
      options.onEvent?.({ type: 'status', batchId: batch.id, status: batch.status, completed: batch.request_counts?.completed ?? 0, total: batch.request_counts?.total ?? 0 });
      if (!FINAL.has(batch.status)) continue;
      if (batch.status !== 'completed') {
        throw new ModelError('openai', model.modelId, `Batch ${batch.id} ended ${batch.status}${batch.errors?.data?.[0]?.message ? `: ${batch.errors.data[0].message}` : ''}; run the ingest again to submit its inputs anew.`, {
          status: 0,
          isRetryable: true,
        });
      }
      const got = await download(model, pool, row.id, batch.output_file_id ?? undefined, signal);
      for (const [hash, v] of got.vectors) vectors.set(hash, v);
      if (batch.error_file_id || got.failed > 0) {
        throw new ModelError('openai', model.modelId, `Batch ${batch.id} completed with ${batch.request_counts?.failed ?? got.failed} failed requests (see file ${batch.error_file_id ?? batch.output_file_id}); run the ingest again to send them anew.`, {
          status: 0,
        });
      }
      options.onEvent?.({ type: 'downloaded', batchId: batch.id, vectors: got.vectors.size });
      pending.delete(row.id);
    }
    if (pending.size > 0) await sleep(pollIntervalMs, signal);
  }

  const charged = new Set<string>();
  for (const d of docs) {
    let cachedChunks = 0;
    let embeddedTokens = 0;
    const chunks: EmbeddedChunk[] = d.chunks.map((c) => {
      const embedding = vectors.get(c.textHash);
      if (!embedding) throw new ModelError('openai', model.modelId, `No vector came back for chunk ${c.ordinal} of ${c.url}; run the ingest again.`);
      if (cached.has(c.textHash)) cachedChunks++;
      else if (!charged.has(c.textHash)) {
        charged.add(c.textHash);
        embeddedTokens += c.tokenCount;
      }
      return { ...c, embedding };
    });
    yield { document: d.document, chunks, cachedChunks, embeddedTokens };
  }
}

async function createBatch(model: OpenAIEmbeddingModel, inputFileId: string, signal?: AbortSignal) {
  return (await model.client()).batches.create({ input_file_id: inputFileId, endpoint: '/v1/embeddings', completion_window: '24h' }, signal ? { signal } : undefined);
}

/** Upload one request file and start its batch, recording each step before the next. */
async function submit(model: OpenAIEmbeddingModel, pool: pg.Pool, lines: Line[], baseURL: string, signal?: AbortSignal): Promise<BatchRow> {
  const [{ toFile }, client] = await Promise.all([loadOpenAISdk(), model.client()]);
  const file = await client.files.create(
    { file: await toFile(Buffer.from(lines.map((l) => l.json).join('')), 'ragline-embeddings.jsonl', { type: 'application/jsonl' }), purpose: 'batch' },
    signal ? { signal } : undefined,
  );
  const id = await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO embedding_batches (base_url, model, dimensions, input_file_id, request_count, input_count, token_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [baseURL, model.modelId, model.dimensions, file.id, lines.length, lines.reduce((n, l) => n + l.chunks.length, 0), lines.reduce((n, l) => n + l.chunks.reduce((m, c) => m + c.tokenCount, 0), 0)],
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
  const batch = await createBatch(model, file.id, signal);
  await pool.query(`UPDATE embedding_batches SET batch_id = $2, status = $3, updated_at = now() WHERE id = $1`, [id, batch.id, batch.status]);
  return { id, batch_id: batch.id, input_file_id: file.id, status: batch.status, output_file_id: null };
}

/** Read a completed batch's output file into vectors by text hash. */
async function download(
  model: OpenAIEmbeddingModel,
  pool: pg.Pool,
  batchRow: number,
  outputFileId: string | undefined,
  signal?: AbortSignal,
): Promise<{ vectors: Map<string, Float32Array>; failed: number }> {
  const vectors = new Map<string, Float32Array>();
  let failed = 0;
  if (!outputFileId) return { vectors, failed };
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
  const client = await model.client();
  const text = await (await client.files.content(outputFileId, signal ? { signal } : undefined)).text();
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
      if (hash !== undefined) vectors.set(hash, model.decode(item.embedding));
    }
  }
  return { vectors, failed };
}
