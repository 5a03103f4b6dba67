import PQueue from 'p-queue';
import { InputError, ModelError } from '../errors.js';
import { checkInteger } from '../options/check.js';
import { EMBED_DEFAULTS } from '../options/defaults.js';
import type { EmbeddingModel } from '../models/spec.js';
import type { Chunk, ChunkedDocument, EmbeddedChunk, EmbeddedDocument } from '../types.js';
import { batchBy, splitBy } from '../iter/batch-by.js';
import { parallelMap } from '../iter/parallel-map.js';

/** Progress of the embed stage, reported once per API request. */
export interface EmbedRequestEvent {
  inputs: number;
  tokens: number;
  ms: number;
}

/** Options of the embed stage. */
export interface EmbedOptions {
  /** The model that embeds. */
  model: EmbeddingModel;
  /**
   * Vectors already paid for, by `Chunk.textHash` (for example `findCachedEmbeddings` on the
   * store). Chunks found there are not sent to the API.
   */
  cache?: (textHashes: string[]) => Promise<Map<string, Float32Array>>;
  /**
   * Inputs per request; also capped by the model's `maxInputsPerCall` and `maxTokensPerCall`.
   * @default 512
   */
  batchSize?: number;
  /**
   * Requests in flight at once.
   * @default 4
   */
  concurrency?: number;
  /**
   * Longest a partial batch waits for more chunks before it is embedded (and its pages stored):
   * a fast source fills whole batches, a slow one (a crawl with a delay) is stored as it goes.
   * @default 1000
   */
  maxWaitMs?: number;
  /** Called after each API request. */
  onRequest?: (event: EmbedRequestEvent) => void;
  signal?: AbortSignal;
}

/**
 * The embed stage: gives every chunk its vector. Chunks of several documents share requests, packed
 * to the model's limits on inputs and tokens per request; requests run through one bounded queue;
 * text already embedded (same text, model and dimensions) costs nothing. Documents come out in the
 * order they came in.
 */
export async function* embed(source: AsyncIterable<ChunkedDocument>, options: EmbedOptions): AsyncGenerator<EmbeddedDocument> {
  const { model } = options;
  const batchSize = Math.min(checkInteger('batchSize', options.batchSize ?? EMBED_DEFAULTS.batchSize, { min: 1 }), model.maxInputsPerCall);
  const concurrency = checkInteger('concurrency', options.concurrency ?? EMBED_DEFAULTS.concurrency, { min: 1 });
  const embedder = new WindowEmbedder(options, batchSize, new PQueue({ concurrency }));
  const maxWaitMs = checkInteger('maxWaitMs', options.maxWaitMs ?? EMBED_DEFAULTS.maxWaitMs, { min: 0 });
  const windows = batchBy(source, { maxWeight: batchSize, weight: (d: ChunkedDocument) => d.chunks.length, maxWaitMs });
  for await (const docs of parallelMap(windows, (w: ChunkedDocument[]) => embedder.embedWindow(w), { concurrency: concurrency + 1 })) {
    yield* docs;
  }
}

/** Vectors of the texts sent in one window, and the tokens each text cost, by `textHash`. */
interface Fresh {
  vectors: Map<string, Float32Array>;
  tokens: Map<string, number>;
}

/** Embeds windows of documents; every window's requests share one bounded queue. */
class WindowEmbedder {
  private readonly model: EmbeddingModel;

  constructor(
    private readonly options: EmbedOptions,
    private readonly batchSize: number,
    private readonly queue: PQueue,
  ) {
    this.model = options.model;
  }

  /** The documents of a window with their vectors: from the cache, else from the model. */
  async embedWindow(docs: ChunkedDocument[]): Promise<EmbeddedDocument[]> {
    const all = docs.flatMap((d) => d.chunks);
    for (const c of all) {
      if (c.tokenCount > this.model.maxInputTokens) {
        throw new InputError(c.url, `Chunk ${c.ordinal} of ${c.url} has ${c.tokenCount} tokens, over ${this.model.modelId}'s limit of ${this.model.maxInputTokens}: lower \`maxTokens\`.`);
      }
    }
    const cached = this.options.cache ? await this.options.cache([...new Set(all.map((c) => c.textHash))]) : new Map<string, Float32Array>();
    // Identical texts within the window are sent once.
    const toSend = new Map<string, Chunk>();
    for (const c of all) if (!cached.has(c.textHash) && !toSend.has(c.textHash)) toSend.set(c.textHash, c);
    const fresh = await this.send([...toSend.values()]);
    return withVectors(docs, cached, fresh);
  }

  /** Embed `chunks` in requests packed to the model's limits, run through the queue. */
  private async send(chunks: Chunk[]): Promise<Fresh> {
    const { model, options } = this;
    const requests = splitBy(chunks, {
      maxItems: this.batchSize,
      maxWeight: model.maxTokensPerCall,
      weight: (c) => c.tokenCount,
    });
    const fresh: Fresh = { vectors: new Map(), tokens: new Map() };
    await Promise.all(
      requests.map((batch) =>
        this.queue.add(async () => {
          options.signal?.throwIfAborted();
          const started = performance.now();
          const result = await this.embedNaming(batch);
          batch.forEach((c, i) => {
            fresh.vectors.set(c.textHash, result.embeddings[i]!);
            fresh.tokens.set(c.textHash, c.tokenCount);
          });
          options.onRequest?.({ inputs: batch.length, tokens: result.usage.inputTokens, ms: performance.now() - started });
        }),
      ),
    );
    return fresh;
  }

  /**
   * Embed a batch; when the API refuses it as invalid (a 400, never retried), find the chunk at
   * fault by halving the batch, so the error names its URL and ordinal.
   */
  private async embedNaming(batch: Chunk[]): Promise<{ embeddings: Float32Array[]; usage: { inputTokens: number } }> {
    const { model, options } = this;
    try {
      return await model.embed({ inputs: batch.map((c) => c.embeddingInput), ...(options.signal ? { signal: options.signal } : {}) });
    } catch (err) {
      if (!(err instanceof ModelError) || err.status === undefined || err.status < 400 || err.status >= 500 || err.status === 401 || err.status === 403 || err.status === 404 || err.status === 429) throw err;
      if (batch.length === 1) {
        const c = batch[0]!;
        throw new InputError(c.url, `Chunk ${c.ordinal} of ${c.url} (${c.tokenCount} tokens) was refused by ${model.modelId}: ${err.message}`, { cause: err });
      }
      const half = Math.ceil(batch.length / 2);
      const [a, b] = await Promise.all([this.embedNaming(batch.slice(0, half)), this.embedNaming(batch.slice(half))]);
      return { embeddings: [...a.embeddings, ...b.embeddings], usage: { inputTokens: a.usage.inputTokens + b.usage.inputTokens } };
    }
  }
}

/**
 * The documents with a vector on every chunk. Tokens of a text sent once are charged to the
 * first document that has it; cached chunks are counted, not charged.
 */
function withVectors(docs: ChunkedDocument[], cached: Map<string, Float32Array>, fresh: Fresh): EmbeddedDocument[] {
  const charged = new Set<string>();
  return docs.map((d) => {
    let cachedChunks = 0;
    let embeddedTokens = 0;
    const chunks: EmbeddedChunk[] = d.chunks.map((c) => {
      const hit = cached.get(c.textHash);
      if (hit) {
        cachedChunks++;
        return { ...c, embedding: hit };
      }
      if (!charged.has(c.textHash)) {
        charged.add(c.textHash);
        embeddedTokens += fresh.tokens.get(c.textHash) ?? 0;
      }
      return { ...c, embedding: fresh.vectors.get(c.textHash)! };
    });
    return { document: d.document, chunks, cachedChunks, embeddedTokens };
  });
}
