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
  /**
   * The question and numbered sources the prompt was built from, as data. A model that reads the
   * messages ignores it; a model that cannot read prose (the offline extractive answerer) answers
   * from it instead of parsing the prompt back.
   */
  grounding?: ChatGrounding;
  /**
   * Ask for a reply that is JSON valid against a schema (OpenAI's structured outputs,
   * `response_format: { type: 'json_schema' }`); the streamed text is then that JSON.
   * @default free text
   */
  responseFormat?: JsonSchemaResponseFormat;
  signal?: AbortSignal;
}

/** What an answer prompt was built from: see {@link ChatRequest.grounding}. */
export interface ChatGrounding {
  question: string;
  /** The sources as numbered in the prompt (`[n]`), with their passages joined. */
  sources: ReadonlyArray<{ number: number; text: string }>;
}

/** What a chat model can do, as data: code reads these instead of checking provider names. */
export interface ChatCapabilities {
  /** Streams text as it is written (else the whole answer comes as one part). @default true */
  streaming: boolean;
  /** Follows a `responseFormat` JSON schema (structured outputs). @default true */
  jsonSchema: boolean;
  /**
   * Writes new text from instructions (rewriting a follow-up question, summarising). An
   * extractive model, which only quotes its sources, does not. @default true
   */
  generatesText: boolean;
}

/** A JSON schema the reply must follow (structured outputs). */
export interface JsonSchemaResponseFormat {
  type: 'json_schema';
  /** Name of the schema, `[a-zA-Z0-9_-]{1,64}`. */
  name: string;
  /** The JSON schema; in strict mode every object lists all its properties as required and sets `additionalProperties: false`. */
  schema: Record<string, unknown>;
  /** @default true */
  strict?: boolean;
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
  /** What the model can do; a field left out is `true` (see {@link chatCapabilities}). */
  readonly capabilities?: Partial<ChatCapabilities>;
  /** Stream an answer. The last part is always a `finish` part. */
  stream(request: ChatRequest): AsyncIterable<ChatStreamPart>;
}

/** One call to a transcription model. */
export interface TranscribeRequest {
  /** The audio file's bytes; never more than `maxUploadBytes`. */
  audio: Uint8Array;
  /** File name with an extension the model accepts (`meeting.mp3`): servers tell the format by it. */
  fileName: string;
  /** Text that precedes this audio (the previous segment's closing words), to keep spelling and style. */
  prompt?: string;
  /** ISO-639-1 language of the audio, when known. */
  language?: string;
  signal?: AbortSignal;
}

/** A transcription with segment times (seconds from the start of this audio). */
export interface TranscribeResult {
  text: string;
  /** Segments; `speaker` is the label a diarizing model gives (`A`, `B`, or a known speaker's name). */
  segments: Array<{ start: number; end: number; text: string; speaker?: string }>;
  /** Length of the audio in seconds, when the provider reports it. */
  duration?: number;
  language?: string;
}

/** A speech-to-text model, described by its capabilities as data. */
export interface TranscriptionModel {
  readonly provider: string;
  readonly modelId: string;
  /** Largest upload in bytes (25 MB for OpenAI). */
  readonly maxUploadBytes: number;
  /** Longest audio in one call, in seconds, when the model has such a limit. */
  readonly maxDurationSeconds?: number;
  /** File extensions accepted, lower case without the dot. */
  readonly formats: readonly string[];
  transcribe(request: TranscribeRequest): Promise<TranscribeResult>;
}

/** One call to a reranker. */
export interface RerankRequest {
  query: string;
  /** Candidate passages, in their current order; never more than `maxDocumentsPerCall`. */
  documents: readonly string[];
  /** Results wanted, best first. @default all documents */
  topN?: number;
  signal?: AbortSignal;
}

/** Relevance of documents to the query: indexes into the request's `documents`, best first. */
export interface RerankResult {
  results: Array<{ index: number; relevanceScore: number }>;
}

/**
 * A reranker (cross-encoder or listwise LLM): scores candidates against the query after
 * retrieval. The `POST /rerank` APIs of Cohere, Jina, Voyage and compatible servers have this shape.
 */
export interface Reranker {
  readonly provider: string;
  readonly modelId: string;
  /** Largest number of documents in one call. @default unbounded */
  readonly maxDocumentsPerCall?: number;
  rerank(request: RerankRequest): Promise<RerankResult>;
}
