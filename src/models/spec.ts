/**
 * Model specifications: types only. Pipelines and stages depend on these, never on a provider, so
 * any provider (OpenAI, a compatible server, the offline `local` models, user code) plugs in.
 */
import type { TokenizerEncoding } from './tokenizer.js';

/** Token usage reported by a provider. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

/** One call to an embedding model. */
export interface EmbedRequest {
  /** Texts to embed; never more than `maxInputsPerCall`, nor more than `maxTokensPerCall` in all. */
  inputs: readonly string[];
  signal?: AbortSignal;
}

/** The vectors for one `EmbedRequest`, in input order. */
export interface EmbedResult {
  embeddings: Float32Array[];
  usage: Usage;
}

/** An embedding model, described by its capabilities as data. */
export interface EmbeddingModel {
  /** Provider name, e.g. `openai` or `local`. */
  readonly provider: string;
  /** Model id as the provider knows it, e.g. `text-embedding-3-small`. */
  readonly modelId: string;
  /** Length of every vector this model returns. */
  readonly dimensions: number;
  /** Encoding used to count input tokens. */
  readonly encoding: TokenizerEncoding;
  /** Maximum tokens in one input. */
  readonly maxInputTokens: number;
  /** Maximum inputs in one call. */
  readonly maxInputsPerCall: number;
  /** Maximum tokens summed over the inputs of one call. */
  readonly maxTokensPerCall: number;
  /** Embed one batch. Implementations may throw `ModelError`. */
  embed(request: EmbedRequest): Promise<EmbedResult>;
}

/** A chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** One call to a chat model. */
export interface ChatRequest {
  messages: readonly ChatMessage[];
  /** Upper bound on the answer's tokens; the prompt plus this must fit the model's window. */
  maxOutputTokens: number;
  /** @default 0 */
  temperature?: number;
  signal?: AbortSignal;
}

/** A piece of a streamed answer. */
export type ChatStreamPart =
  | { type: 'text'; text: string }
  | { type: 'finish'; finishReason: 'stop' | 'length' | 'other'; usage?: Usage };

/** A chat model, described by its capabilities as data. */
export interface ChatModel {
  readonly provider: string;
  readonly modelId: string;
  /** Tokens the model can see at once: prompt plus answer. */
  readonly contextWindow: number;
  /** Maximum tokens the model may write in one answer. */
  readonly maxOutputTokens: number;
  /** Encoding used to count prompt tokens. */
  readonly encoding: TokenizerEncoding;
  /** Stream an answer. The last part is always a `finish` part. */
  stream(request: ChatRequest): AsyncIterable<ChatStreamPart>;
}
