import type { EmbeddingModel, EmbedRequest, EmbedResult } from '../spec.js';
import { embeddingModelInfo, EMBEDDING_REQUEST_LIMITS } from '../catalog.js';
import { ConfigError, ModelError } from '../../errors.js';
import { checkInteger } from '../../options/check.js';
import { isOpenAIHost, lazyOpenAIClient, openAITarget, rateLimiterFor, type OpenAIConnectionOptions } from './client.js';
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
  if (options.dimensions === undefined && info === undefined) {
    throw new ConfigError('dimensions', undefined, `Unknown embedding model "${modelId}": give its vector length as \`dimensions\`.`);
  }
  const dimensions = checkInteger('dimensions', options.dimensions ?? info?.dimensions, { min: 1, ...(info ? { max: info.dimensions, why: `${modelId}'s size` } : {}) });
  if (info && !info.supportsDimensions && dimensions !== info.dimensions) {
    throw new ConfigError('dimensions', dimensions, `${modelId} always returns ${info.dimensions} dimensions; drop \`dimensions\` or use text-embedding-3-small/-large.`);
  }
  const target = openAITarget(options);
  const client = lazyOpenAIClient(options);
  const format = options.encodingFormat ?? (isOpenAIHost(target) ? 'base64' : 'float');
  // Send `dimensions` only when it changes something: compatible servers often reject the field.
  const sendDimensions = info?.supportsDimensions === true && dimensions !== info.dimensions;
  const encoding: TokenizerEncoding = info?.encoding ?? 'cl100k_base';

  const requestBody = (inputs: readonly string[]): OpenAIType.EmbeddingCreateParams => ({
    model: modelId,
    input: inputs as string[],
    encoding_format: format,
    ...(sendDimensions ? { dimensions } : {}),
  });
  const decode = (raw: unknown): Float32Array => {
    const vector = typeof raw === 'string' ? decodeBase64Floats(raw) : Float32Array.from(raw as number[]);
    if (vector.length !== dimensions) {
      throw new ModelError('openai', modelId, `${modelId} returned ${vector.length} dimensions where ${dimensions} were expected: set \`dimensions\` to ${vector.length} or check the server's model.`);
    }
    return vector;
  };

  return {
    provider: 'openai',
    modelId,
    dimensions,
    encoding,
    client,
    requestBody,
    decode,
    maxInputTokens: options.maxInputTokens ?? info?.maxInputTokens ?? 8191,
    maxInputsPerCall: EMBEDDING_REQUEST_LIMITS.maxInputs,
    maxTokensPerCall: EMBEDDING_REQUEST_LIMITS.maxTokens,
    async embed(request: EmbedRequest): Promise<EmbedResult> {
      const tokenizer = getTokenizer(encoding);
      const counts = request.inputs.map((text) => tokenizer.count(text));
      return embedCounted(request.inputs, counts, request.signal);
    },
  };

  /**
   * One request, or several when the account's per-minute token budget is smaller than the
   * request would need (or so small that one request would hold the whole minute): the pieces go
   * through the scheduler side by side and come back in input order.
   */
  async function embedCounted(inputs: readonly string[], counts: number[], signal: AbortSignal | undefined): Promise<EmbedResult> {
    const limiter = rateLimiterFor(target, modelId, options);
    const sdkClient = await client();
    const total = counts.reduce((a, b) => a + b, 0);
    const tpm = limiter.tokensPerMinute;
    // A sixth of a minute's budget per request keeps several in flight and the last one short.
    const cap = tpm === undefined ? Infinity : Math.max(1, Math.floor(tpm / 6));
    if (total > cap && inputs.length > 1) {
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
      const results = await Promise.all(pieces.map((p) => embedCounted(p.inputs, p.counts, signal)));
      return {
        embeddings: results.flatMap((r) => r.embeddings),
        usage: { inputTokens: results.reduce((n, r) => n + r.usage.inputTokens, 0), outputTokens: 0 },
      };
    }
    let response: OpenAIType.CreateEmbeddingResponse;
    try {
      ({ data: response } = await sendWithRetries(
        {
          limiter,
          tokens: total,
          model: modelId,
          what: `Embedding ${inputs.length} inputs with ${modelId}`,
          ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
          ...(signal ? { signal } : {}),
        },
        (sig) =>
          sdkClient.embeddings
            .create(requestBody(inputs), sig ? { signal: sig } : undefined)
            .withResponse(),
      ));
    } catch (err) {
      // The budget was unknown and one request turned out larger than a minute's tokens: the 429
      // told the limiter the real budget, so split to it.
      if (err instanceof ModelError && err.code === 'request_too_large' && inputs.length > 1 && limiter.tokensPerMinute !== undefined && total > limiter.tokensPerMinute / 6) {
        return embedCounted(inputs, counts, signal);
      }
      throw err;
    }
    const embeddings = new Array<Float32Array>(inputs.length);
    for (const item of response.data) embeddings[item.index] = decode(item.embedding as unknown);
    if (embeddings.some((e) => e === undefined) || response.data.length !== inputs.length) {
      throw new ModelError('openai', modelId, `${modelId} returned ${response.data.length} embeddings for ${inputs.length} inputs.`);
    }
    const tokens = response.usage?.prompt_tokens ?? 0;
    return { embeddings, usage: { inputTokens: tokens, outputTokens: 0 } };
  }
}
