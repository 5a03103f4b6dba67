import type { EmbeddingModel, EmbedRequest, EmbedResult } from '../spec.js';
import { embeddingModelInfo, EMBEDDING_REQUEST_LIMITS, type EmbeddingModelInfo } from '../catalog.js';
import { ConfigError, ModelError } from '../../errors.js';
import { checkInteger } from '../../options/check.js';
import { RATE_LIMIT_DEFAULTS } from '../../options/defaults.js';
import { isOpenAIHost, lazyOpenAIClient, openAITarget, rateLimiterFor, type OpenAIConnectionOptions, type OpenAITarget } from './client.js';
import type { RateLimiter } from './rate-limiter.js';
import { getTokenizer, type TokenizerEncoding } from '../tokenizer.js';
import { sendWithRetries } from './send.js';
import type OpenAIType from 'openai';

/** Options of an OpenAI (or compatible) embedding model. */
export interface OpenAIEmbeddingOptions extends OpenAIConnectionOptions {
  /**
   * Model id.
   * @default 'text-embedding-3-small'
   */
  model?: string;
  /**
   * Vector length. Only text-embedding-3-* accept a value below their native size; other models
   * must be given their native size when the catalog does not know them.
   * @default the model's native dimensions
   */
  dimensions?: number;
  /**
   * Largest input in tokens, for models the catalog does not know.
   * @default 8191
   */
  maxInputTokens?: number;
  /**
   * Vector wire format. OpenAI gets `base64` (4 bytes a number instead of ~20); compatible servers
   * such as Ollama, vLLM and LiteLLM reject it and get `float`.
   * @default 'base64' for api.openai.com, else 'float'
   */
  encodingFormat?: 'base64' | 'float';
}

/** Decode OpenAI's base64 little-endian float32 into a Float32Array without passing through text. */
export function decodeBase64Floats(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** An OpenAI embedding model, with what the Batch API needs to send the same requests. */
export interface OpenAIEmbeddingModel extends EmbeddingModel {
  /** The SDK client it sends through (its own retries off), made (and the SDK loaded) on the first call. */
  client(): Promise<OpenAIType>;
  /** The body of an embeddings request for `inputs`, exactly as `embed` sends it. */
  requestBody(inputs: readonly string[]): OpenAIType.EmbeddingCreateParams;
  /** Decode one `data[].embedding` of a response (float array or base64) and check its length. */
  decode(raw: unknown): Float32Array;
}

/** An embedding model served by the OpenAI API or any OpenAI-compatible server. */
export function createOpenAIEmbedding(options: OpenAIEmbeddingOptions = {}): OpenAIEmbeddingModel {
  const modelId = options.model ?? 'text-embedding-3-small';
  const info = embeddingModelInfo(modelId);
  const dimensions = checkDimensions(modelId, info, options.dimensions);
  const target = openAITarget(options);
  const format = options.encodingFormat ?? (isOpenAIHost(target) ? 'base64' : 'float');
  // Send `dimensions` only when it changes something: compatible servers often reject the field.
  const sendDimensions = info?.supportsDimensions === true && dimensions !== info.dimensions;
  const encoding: TokenizerEncoding = info?.encoding ?? 'cl100k_base';
  const sender: EmbeddingSender = {
    modelId,
    target,
    options,
    client: lazyOpenAIClient(options),
    requestBody: (inputs) => ({
      model: modelId,
      input: inputs as string[],
      encoding_format: format,
      ...(sendDimensions ? { dimensions } : {}),
    }),
    decode: (raw) => decodeEmbedding(raw, modelId, dimensions),
  };

  return {
    provider: 'openai',
    modelId,
    dimensions,
    encoding,
    client: sender.client,
    requestBody: sender.requestBody,
    decode: sender.decode,
    maxInputTokens: options.maxInputTokens ?? info?.maxInputTokens ?? 8191,
    maxInputsPerCall: EMBEDDING_REQUEST_LIMITS.maxInputs,
    maxTokensPerCall: EMBEDDING_REQUEST_LIMITS.maxTokens,
    async embed(request: EmbedRequest): Promise<EmbedResult> {
      const tokenizer = getTokenizer(encoding);
      const counts = request.inputs.map((text) => tokenizer.count(text));
      return embedCounted(sender, request.inputs, counts, request.signal);
    },
  };
}

/** The vector length: the given one, within what the model can return; else the model's own. */
function checkDimensions(modelId: string, info: EmbeddingModelInfo | undefined, given: number | undefined): number {
  if (given === undefined && info === undefined) {
    throw new ConfigError('dimensions', undefined, `Unknown embedding model "${modelId}": give its vector length as \`dimensions\`.`);
  }
  const dimensions = checkInteger('dimensions', given ?? info?.dimensions, { min: 1, ...(info ? { max: info.dimensions, why: `${modelId}'s size` } : {}) });
  if (info && !info.supportsDimensions && dimensions !== info.dimensions) {
    throw new ConfigError('dimensions', dimensions, `${modelId} always returns ${info.dimensions} dimensions; drop \`dimensions\` or use text-embedding-3-small/-large.`);
  }
  return dimensions;
}

function decodeEmbedding(raw: unknown, modelId: string, dimensions: number): Float32Array {
  const vector = typeof raw === 'string' ? decodeBase64Floats(raw) : Float32Array.from(raw as number[]);
  if (vector.length !== dimensions) {
    throw new ModelError('openai', modelId, `${modelId} returned ${vector.length} dimensions where ${dimensions} were expected: set \`dimensions\` to ${vector.length} or check the server's model.`);
  }
  return vector;
}

/** What an embedding request is made from: one model's client, body and decoding. */
interface EmbeddingSender extends Pick<OpenAIEmbeddingModel, 'client' | 'requestBody' | 'decode'> {
  modelId: string;
  target: OpenAITarget;
  options: OpenAIEmbeddingOptions;
}

/**
 * One request, or several when the account's per-minute token budget is smaller than the
 * request would need (or so small that one request would hold the whole minute): the pieces go
 * through the scheduler side by side and come back in input order.
 */
async function embedCounted(sender: EmbeddingSender, inputs: readonly string[], counts: number[], signal: AbortSignal | undefined): Promise<EmbedResult> {
  const limiter = rateLimiterFor(sender.target, sender.modelId, sender.options);
  const sdkClient = await sender.client();
  const total = counts.reduce((a, b) => a + b, 0);
  const tpm = limiter.tokensPerMinute;
  // Nothing known yet: a modest first request learns the budgets (a minute's worth of tokens in
  // one request would be refused and cost a 429); the rest follows once it is answered.
  if (!limiter.informed && total > RATE_LIMIT_DEFAULTS.probeTokens && inputs.length > 1) {
    const [probe, ...rest] = piecesUnder(RATE_LIMIT_DEFAULTS.probeTokens, inputs, counts);
    const first = await embedCounted(sender, probe!.inputs, probe!.counts, signal);
    const after = await embedCounted(sender, rest.flatMap((p) => p.inputs), rest.flatMap((p) => p.counts), signal);
    return { embeddings: [...first.embeddings, ...after.embeddings], usage: { inputTokens: first.usage.inputTokens + after.usage.inputTokens, outputTokens: 0 } };
  }
  // A sixth of a minute's budget per request keeps several in flight and the last one short.
  const cap = tpm === undefined ? Infinity : Math.max(1, Math.floor(tpm / 6));
  if (total > cap && inputs.length > 1) {
    const results = await Promise.all(piecesUnder(cap, inputs, counts).map((p) => embedCounted(sender, p.inputs, p.counts, signal)));
    return {
      embeddings: results.flatMap((r) => r.embeddings),
      usage: { inputTokens: results.reduce((n, r) => n + r.usage.inputTokens, 0), outputTokens: 0 },
    };
  }
  let response: OpenAIType.CreateEmbeddingResponse;
  try {
    response = await sendEmbeddingRequest(sender, sdkClient, limiter, inputs, total, signal);
  } catch (err) {
    // The budget was unknown and one request turned out larger than a minute's tokens: the 429
    // told the limiter the real budget, so split to it.
    if (err instanceof ModelError && err.code === 'request_too_large' && inputs.length > 1 && limiter.tokensPerMinute !== undefined && total > limiter.tokensPerMinute / 6) {
      return embedCounted(sender, inputs, counts, signal);
    }
    throw err;
  }
  return readEmbeddings(sender, response, inputs.length);
}

/** Consecutive inputs in pieces of at most `cap` tokens (an input larger than `cap` alone in its piece). */
function piecesUnder(cap: number, inputs: readonly string[], counts: number[]): Array<{ inputs: string[]; counts: number[] }> {
  const pieces: Array<{ inputs: string[]; counts: number[] }> = [];
  let current = { inputs: [] as string[], counts: [] as number[], tokens: 0 };
  inputs.forEach((text, i) => {
    const n = counts[i]!;
    if (current.inputs.length > 0 && current.tokens + n > cap) {
      pieces.push(current);
      current = { inputs: [], counts: [], tokens: 0 };
    }
    current.inputs.push(text);
    current.counts.push(n);
    current.tokens += n;
  });
  pieces.push(current);
  return pieces;
}

async function sendEmbeddingRequest(sender: EmbeddingSender, sdkClient: OpenAIType, limiter: RateLimiter, inputs: readonly string[], tokens: number, signal: AbortSignal | undefined): Promise<OpenAIType.CreateEmbeddingResponse> {
  const { modelId, options } = sender;
  const { data } = await sendWithRetries(
    {
      limiter,
      tokens,
      model: modelId,
      what: `Embedding ${inputs.length} inputs with ${modelId}`,
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      ...(signal ? { signal } : {}),
    },
    (sig) =>
      sdkClient.embeddings
        .create(sender.requestBody(inputs), sig ? { signal: sig } : undefined)
        .withResponse(),
  );
  return data;
}

/** The response's vectors in input order, each decoded and checked; one for every input. */
function readEmbeddings(sender: EmbeddingSender, response: OpenAIType.CreateEmbeddingResponse, inputCount: number): EmbedResult {
  const { modelId } = sender;
  const embeddings = new Array<Float32Array>(inputCount);
  for (const item of response.data) embeddings[item.index] = sender.decode(item.embedding as unknown);
  if (embeddings.some((e) => e === undefined) || response.data.length !== inputCount) {
    throw new ModelError('openai', modelId, `${modelId} returned ${response.data.length} embeddings for ${inputCount} inputs.`);
  }
  const tokens = response.usage?.prompt_tokens ?? 0;
  return { embeddings, usage: { inputTokens: tokens, outputTokens: 0 } };
}
