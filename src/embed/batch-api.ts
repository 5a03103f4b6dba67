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
import { BATCH_API_DEFAULTS } from '../options/defaults.js';
import { splitBy } from '../iter/batch-by.js';
import { sleep } from '../net/retry.js';
import type { OpenAIEmbeddingModel } from '../models/openai/embedding.js';
import type { EmbeddingModel } from '../models/spec.js';
import type { Chunk, ChunkedDocument, EmbeddedChunk, EmbeddedDocument } from '../types.js';
import {
  download,
  findOpenBatches,
  inputCount,
  recordStatus,
  resubmit,
  retrieveBatch,
  submit,
  tokenCount,
  type BatchRow,
  type BatchTarget,
  type Line,
} from './openai-batches.js';

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

function asOpenAI(model: EmbeddingModel): OpenAIEmbeddingModel {
  const m = model as Partial<OpenAIEmbeddingModel>;
  if (typeof m.requestBody !== 'function' || typeof m.client !== 'function' || typeof m.decode !== 'function') {
    throw new ConfigError('model', model.modelId, `The Batch API needs an OpenAI embedding model; ${model.provider}/${model.modelId} is not one: drop \`batchApi\` or set OPENAI_API_KEY.`);
  }
  return m as OpenAIEmbeddingModel;
}

type Emit = (event: BatchEvent) => void;

/** Read every document, failing on the first chunk the model cannot take. */
async function readDocuments(source: AsyncIterable<ChunkedDocument>, model: OpenAIEmbeddingModel): Promise<ChunkedDocument[]> {
  const docs: ChunkedDocument[] = [];
  for await (const doc of source) {
    for (const c of doc.chunks) {
      if (c.tokenCount > model.maxInputTokens) {
        throw new ConfigError('chunk', c.url, `Chunk ${c.ordinal} of ${c.url} has ${c.tokenCount} tokens, over ${model.modelId}'s limit of ${model.maxInputTokens}: lower \`maxTokens\`.`);
      }
    }
    docs.push(doc);
  }
  return docs;
}

/** The distinct texts of `docs` by hash, the vectors the cache has, and the hashes still needing one. */
async function lookUpCache(docs: ChunkedDocument[], cache: BatchApiOptions['cache']) {
  const distinct = new Map<string, Chunk>();
  for (const d of docs) for (const c of d.chunks) if (!distinct.has(c.textHash)) distinct.set(c.textHash, c);
  const hashes = [...distinct.keys()];
  const cached = new Map<string, Float32Array>();
  if (cache) {
    for (let i = 0; i < hashes.length; i += 1000) for (const [h, v] of await cache(hashes.slice(i, i + 1000))) cached.set(h, v);
  }
  return { distinct, cached, needed: hashes.filter((h) => !cached.has(h)) };
}

/** Batches of earlier runs that cover some of `needed` and may still deliver, by row id, and the hashes they cover. */
async function resumeOpenBatches(target: BatchTarget, needed: string[], emit: Emit) {
  const pending = new Map<number, BatchRow>();
  const covered = new Set<string>();
  for (const r of await findOpenBatches(target, needed)) {
    covered.add(r.text_hash);
    pending.set(r.id, r);
  }
  for (const r of pending.values()) emit({ type: 'resumed', batchId: r.batch_id ?? r.input_file_id, status: r.status });
  return { pending, covered };
}

/**
 * The request files for `requests` (the inputs of one request line each), each as full as
 * `limits` allow. Lazy: a file is yielded as soon as the next line would not fit in it.
 */
function* requestFiles(requests: Chunk[][], model: OpenAIEmbeddingModel, limits: BatchLimits): Generator<Line[]> {
  let lines: Line[] = [];
  let bytes = 0;
  let inputs = 0;
  for (const [i, chunks] of requests.entries()) {
    const customId = `r${i}-${chunks[0]!.textHash.slice(0, 16)}`;
    const json = `${JSON.stringify({ custom_id: customId, method: 'POST', url: '/v1/embeddings', body: model.requestBody(chunks.map((c) => c.embeddingInput)) })}\n`;
    const size = Buffer.byteLength(json);
    if (lines.length > 0 && (lines.length + 1 > limits.maxRequests || bytes + size > limits.maxBytes || inputs + chunks.length > limits.maxEmbeddingInputs)) {
      yield lines;
      lines = [];
      bytes = 0;
      inputs = 0;
    }
    lines.push({ customId, chunks, json });
    bytes += size;
    inputs += chunks.length;
  }
  if (lines.length > 0) yield lines;
}

/** Submit new batches for `chunks`, adding them to `pending`. */
async function submitBatches(
  target: BatchTarget,
  chunks: Chunk[],
  sizes: { inputsPerRequest: number; limits: BatchLimits },
  pending: Map<number, BatchRow>,
  emit: Emit,
): Promise<void> {
  const { model } = target;
  const requests = splitBy(chunks, { maxItems: sizes.inputsPerRequest, maxWeight: model.maxTokensPerCall, weight: (c) => c.tokenCount });
  for (const lines of requestFiles(requests, model, sizes.limits)) {
    const row = await submit(target, lines);
    pending.set(row.id, row);
    emit({ type: 'submitted', batchId: row.batch_id!, requests: lines.length, inputs: inputCount(lines), tokens: tokenCount(lines) });
  }
}

/**
 * Look at a batch once. Returns true when it completed and its vectors are in `vectors`; throws
 * when it ended otherwise or with failed requests.
 */
async function pollBatch(target: BatchTarget, row: BatchRow, vectors: Map<string, Float32Array>, emit: Emit): Promise<boolean> {
  const { model } = target;
  target.signal?.throwIfAborted();
  const batch = await retrieveBatch(target, row);
  if (!batch) {
    // Uploaded, never accepted (the process stopped in between): submit the same file now.
    await resubmit(target, row);
    return false;
  }
  await recordStatus(target, row, batch);
  emit({ type: 'status', batchId: batch.id, status: batch.status, completed: batch.request_counts?.completed ?? 0, total: batch.request_counts?.total ?? 0 });
  if (!FINAL.has(batch.status)) return false;
  if (batch.status !== 'completed') {
    throw new ModelError('openai', model.modelId, `Batch ${batch.id} ended ${batch.status}${batch.errors?.data?.[0]?.message ? `: ${batch.errors.data[0].message}` : ''}; run the ingest again to submit its inputs anew.`, {
      status: 0,
      isRetryable: true,
    });
  }
  const got = await download(target, row.id, batch.output_file_id ?? undefined);
  for (const [hash, v] of got.vectors) vectors.set(hash, v);
  if (batch.error_file_id || got.failed > 0) {
    throw new ModelError('openai', model.modelId, `Batch ${batch.id} completed with ${batch.request_counts?.failed ?? got.failed} failed requests (see file ${batch.error_file_id ?? batch.output_file_id}); run the ingest again to send them anew.`, {
      status: 0,
    });
  }
  emit({ type: 'downloaded', batchId: batch.id, vectors: got.vectors.size });
  return true;
}

/** Poll every pending batch until all delivered, adding their vectors to `vectors`. */
async function waitForBatches(target: BatchTarget, pending: Map<number, BatchRow>, vectors: Map<string, Float32Array>, pollIntervalMs: number, emit: Emit): Promise<void> {
  while (pending.size > 0) {
    for (const row of [...pending.values()]) {
      if (await pollBatch(target, row, vectors, emit)) pending.delete(row.id);
    }
    if (pending.size > 0) await sleep(pollIntervalMs, target.signal);
  }
}

/** The documents with their vectors; each text's tokens are charged to the first document that has it. */
function* withVectors(docs: ChunkedDocument[], vectors: Map<string, Float32Array>, cached: Map<string, Float32Array>, model: OpenAIEmbeddingModel): Generator<EmbeddedDocument> {
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

/**
 * Embed every chunk through the Batch API and yield the documents with their vectors, in input
 * order. All documents are read first (a batch is one job), so use it for backfills, not for
 * streaming ingestion.
 */
export async function* embedWithBatchApi(source: AsyncIterable<ChunkedDocument>, options: BatchApiOptions): AsyncGenerator<EmbeddedDocument> {
  const model = asOpenAI(options.model);
  const pollIntervalMs = checkNumber('pollIntervalMs', options.pollIntervalMs ?? BATCH_API_DEFAULTS.pollIntervalMs, { min: 0 });
  const limits = { ...BATCH_API_LIMITS, ...options.limits };
  const inputsPerRequest = Math.min(options.inputsPerRequest ?? BATCH_API_DEFAULTS.inputsPerRequest, model.maxInputsPerCall, limits.maxEmbeddingInputs);
  const target: BatchTarget = { model, pool: options.pool, baseURL: (await model.client()).baseURL, signal: options.signal };
  const emit: Emit = (event) => options.onEvent?.(event);

  const docs = await readDocuments(source, model);
  const { distinct, cached, needed } = await lookUpCache(docs, options.cache);
  const { pending, covered } = await resumeOpenBatches(target, needed, emit);
  const toSend = needed.filter((h) => !covered.has(h)).map((h) => distinct.get(h)!);
  await submitBatches(target, toSend, { inputsPerRequest, limits }, pending, emit);
  const vectors = new Map<string, Float32Array>(cached);
  await waitForBatches(target, pending, vectors, pollIntervalMs, emit);
  yield* withVectors(docs, vectors, cached, model);
}
