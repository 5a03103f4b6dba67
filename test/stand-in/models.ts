/**
 * The models the stand-in serves, with the limits the real API enforces for them, and token
 * counting in each model's encoding (gpt-tokenizer's tables are the same BPE ranks as tiktoken's).
 */

import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';

/** A BPE encoding as the stand-in uses it. */
export interface TokenEncoding {
  /** `cl100k_base` or `o200k_base`. */
  name: 'cl100k_base' | 'o200k_base';
  /** Token ids of a text; special-token markup such as `<|endoftext|>` counts as plain text, as in the API. */
  encode(text: string): number[];
  /** The text of a token sequence. */
  decode(tokens: number[]): string;
}

// The API treats `<|endoftext|>` and friends in user text as ordinary characters; gpt-tokenizer
// throws on them by default, so every encode call disallows nothing.
const plainText = { disallowedSpecial: new Set<string>() };

/** cl100k_base: the embedding models, gpt-4 and gpt-3.5. */
export const CL100K: TokenEncoding = {
  name: 'cl100k_base',
  encode: (text) => cl100k.encode(text, plainText),
  decode: (tokens) => cl100k.decode(tokens),
};

/** o200k_base: the gpt-4o and gpt-4.1 families. */
export const O200K: TokenEncoding = {
  name: 'o200k_base',
  encode: (text) => o200k.encode(text, plainText),
  decode: (tokens) => o200k.decode(tokens),
};

/** An embedding model and its limits. */
export interface EmbeddingModelSpec {
  kind: 'embedding';
  id: string;
  /** Length of the vectors it returns when `dimensions` is not given. */
  nativeDimensions: number;
  /** Whether the `dimensions` parameter is accepted (text-embedding-3-* only). */
  supportsDimensions: boolean;
  encoding: TokenEncoding;
}

/** A chat model and its limits. */
export interface ChatModelSpec {
  kind: 'chat';
  id: string;
  /** Context window: prompt tokens plus requested completion tokens must fit in it. */
  contextWindow: number;
  /** The largest `max_tokens` / `max_completion_tokens` accepted. */
  maxOutputTokens: number;
  encoding: TokenEncoding;
}

/** Any model the stand-in knows. */
export type ModelSpec = EmbeddingModelSpec | ChatModelSpec;

/** Embedding inputs are limited per input and per request alike for every embedding model. */
export const EMBEDDING_LIMITS = {
  /** Inputs (strings or token arrays) in one request. */
  maxInputs: 2048,
  /**
   * Tokens in one input. The documentation has said 8191 for years while the error message says
   * "maximum context length is 8192 tokens"; the stand-in keeps to the stricter 8191 so that a
   * client that passes here also passes against the real API.
   */
  maxTokensPerInput: 8191,
  /** The context length quoted by the error message. */
  contextLengthInMessage: 8192,
  /** Tokens summed over all inputs of one request. */
  maxTokensPerRequest: 300_000,
} as const;

function embedding(id: string, nativeDimensions: number, supportsDimensions: boolean): EmbeddingModelSpec {
  return { kind: 'embedding', id, nativeDimensions, supportsDimensions, encoding: CL100K };
}

function chat(id: string, contextWindow: number, maxOutputTokens: number, encoding: TokenEncoding): ChatModelSpec {
  return { kind: 'chat', id, contextWindow, maxOutputTokens, encoding };
}

/** Every model the stand-in serves, by id. Limits are those OpenAI documents for each model. */
export const MODELS: ReadonlyMap<string, ModelSpec> = new Map(
  [
    embedding('text-embedding-ada-002', 1536, false),
    embedding('text-embedding-3-small', 1536, true),
    embedding('text-embedding-3-large', 3072, true),
    chat('gpt-3.5-turbo', 16_385, 4096, CL100K),
    chat('gpt-4', 8192, 8192, CL100K),
    chat('gpt-4-32k', 32_768, 32_768, CL100K),
    chat('gpt-4-1106-preview', 128_000, 4096, CL100K),
    chat('gpt-4-turbo', 128_000, 4096, CL100K),
    chat('gpt-4o', 128_000, 16_384, O200K),
    chat('gpt-4o-mini', 128_000, 16_384, O200K),
    chat('gpt-4.1', 1_047_576, 32_768, O200K),
    chat('gpt-4.1-mini', 1_047_576, 32_768, O200K),
    chat('gpt-4.1-nano', 1_047_576, 32_768, O200K),
  ].map((spec) => [spec.id, spec]),
);

/** A chat message reduced to what token counting and `respond` need. */
export interface PlainMessage {
  role: string;
  content: string;
  name?: string;
}

/**
 * Prompt tokens of a chat request as the API reports them in `usage.prompt_tokens`: every message
 * costs 3 tokens of framing plus its role, content and name (+1 for a name), and the reply is
 * primed with 3 more (the rule of OpenAI's token-counting cookbook for gpt-3.5-turbo-0613 and
 * later, gpt-4, gpt-4o and gpt-4.1).
 */
export function countPromptTokens(messages: readonly PlainMessage[], encoding: TokenEncoding): number {
  let tokens = 3;
  for (const message of messages) {
    tokens += 3 + encoding.encode(message.role).length + encoding.encode(message.content).length;
    if (message.name !== undefined) tokens += encoding.encode(message.name).length + 1;
  }
  return tokens;
}
