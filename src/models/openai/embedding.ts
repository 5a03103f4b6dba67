import type OpenAI from 'openai';
import type { EmbeddingModel, EmbedRequest, EmbedResult } from '../spec.js';
import { embeddingModelInfo, EMBEDDING_REQUEST_LIMITS } from '../catalog.js';
import { ConfigError, ModelError, describeValue } from '../../errors.js';
import { isOpenAIHost, openAIClient, toModelError, type OpenAIConnectionOptions } from './client.js';
import type { TokenizerEncoding } from '../tokenizer.js';

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

/** An embedding model served by the OpenAI API or any OpenAI-compatible server. */
export function createOpenAIEmbedding(options: OpenAIEmbeddingOptions = {}): EmbeddingModel {
  const modelId = options.model ?? 'text-embedding-3-small';
  const info = embeddingModelInfo(modelId);
  const dimensions = options.dimensions ?? info?.dimensions;
  if (dimensions === undefined) {
    throw new ConfigError('dimensions', undefined, `Unknown embedding model "${modelId}": give its vector length with --dimensions <n>.`);
  }
  if (!Number.isInteger(dimensions) || dimensions < 1 || (info && dimensions > info.dimensions)) {
    throw new ConfigError('dimensions', dimensions, `Expected \`dimensions\` to be an integer from 1 to ${info?.dimensions ?? 'the model size'}, got ${describeValue(dimensions)}.`);
  }
  if (info && !info.supportsDimensions && dimensions !== info.dimensions) {
    throw new ConfigError('dimensions', dimensions, `${modelId} always returns ${info.dimensions} dimensions; drop --dimensions or use text-embedding-3-small/-large.`);
  }
  const client: OpenAI = openAIClient(options);
  const format = options.encodingFormat ?? (isOpenAIHost(client) ? 'base64' : 'float');
  // Send `dimensions` only when it changes something: compatible servers often reject the field.
  const sendDimensions = info?.supportsDimensions === true && dimensions !== info.dimensions;
  const encoding: TokenizerEncoding = info?.encoding ?? 'cl100k_base';

  return {
    provider: 'openai',
    modelId,
    dimensions,
    encoding,
    maxInputTokens: options.maxInputTokens ?? info?.maxInputTokens ?? 8191,
    maxInputsPerCall: EMBEDDING_REQUEST_LIMITS.maxInputs,
    maxTokensPerCall: EMBEDDING_REQUEST_LIMITS.maxTokens,
    async embed(request: EmbedRequest): Promise<EmbedResult> {
      let response;
      try {
        response = await client.embeddings.create(
          {
            model: modelId,
            input: request.inputs as string[],
            encoding_format: format,
            ...(sendDimensions ? { dimensions } : {}),
          },
          request.signal ? { signal: request.signal } : undefined,
        );
      } catch (err) {
        throw toModelError(err, modelId, `Embedding ${request.inputs.length} inputs with ${modelId}`);
      }
      const embeddings = new Array<Float32Array>(request.inputs.length);
      for (const item of response.data) {
        const raw = item.embedding as unknown;
        const vector = typeof raw === 'string' ? decodeBase64Floats(raw) : Float32Array.from(raw as number[]);
        if (vector.length !== dimensions) {
          throw new ModelError('openai', modelId, `${modelId} returned ${vector.length} dimensions where ${dimensions} were expected: set --dimensions ${vector.length} or check the server's model.`);
        }
        embeddings[item.index] = vector;
      }
      if (embeddings.some((e) => e === undefined) || response.data.length !== request.inputs.length) {
        throw new ModelError('openai', modelId, `${modelId} returned ${response.data.length} embeddings for ${request.inputs.length} inputs.`);
      }
      const tokens = response.usage?.prompt_tokens ?? 0;
      return { embeddings, usage: { inputTokens: tokens, outputTokens: 0 } };
    },
  };
}
