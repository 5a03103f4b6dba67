/**
 * What ragline knows about models: context windows, output limits, tokenizer encodings, embedding
 * dimensions and input limits, prices. Figures are OpenAI's published ones; prices are US dollars
 * per million tokens and only used for estimates.
 */
import { ConfigError } from '../errors.js';
import type { TokenizerEncoding } from './tokenizer.js';

/** A chat model's limits. */
export interface ChatModelInfo {
  id: string;
  /** Prompt plus answer, in tokens. */
  contextWindow: number;
  /** Largest answer, in tokens. */
  maxOutputTokens: number;
  encoding: TokenizerEncoding;
  /** Reasoning models take no `temperature`. */
  reasoning?: boolean;
  /** US dollars per million tokens. */
  price?: { input: number; output: number };
}

/** An embedding model's limits. */
export interface EmbeddingModelInfo {
  id: string;
  /** Native vector length. */
  dimensions: number;
  /** Whether the API accepts a smaller `dimensions`. */
  supportsDimensions: boolean;
  /** Largest input, in tokens. */
  maxInputTokens: number;
  encoding: TokenizerEncoding;
  /** US dollars per million input tokens. */
  price?: { input: number };
}

const chat = (
  id: string,
  contextWindow: number,
  maxOutputTokens: number,
  encoding: TokenizerEncoding,
  input: number,
  output: number,
  reasoning = false,
): ChatModelInfo => ({ id, contextWindow, maxOutputTokens, encoding, price: { input, output }, ...(reasoning ? { reasoning } : {}) });

/** Chat models known by id. Dated snapshots (`gpt-4o-2024-08-06`) resolve to their family. */
export const CHAT_MODELS: readonly ChatModelInfo[] = [
  chat('gpt-3.5-turbo', 16_385, 4_096, 'cl100k_base', 0.5, 1.5),
  chat('gpt-3.5-turbo-16k', 16_385, 4_096, 'cl100k_base', 3, 4),
  chat('gpt-3.5-turbo-1106', 16_385, 4_096, 'cl100k_base', 1, 2),
  chat('gpt-3.5-turbo-0125', 16_385, 4_096, 'cl100k_base', 0.5, 1.5),
  chat('gpt-4', 8_192, 8_192, 'cl100k_base', 30, 60),
  chat('gpt-4-32k', 32_768, 8_192, 'cl100k_base', 60, 120),
  chat('gpt-4-1106-preview', 128_000, 4_096, 'cl100k_base', 10, 30),
  chat('gpt-4-0125-preview', 128_000, 4_096, 'cl100k_base', 10, 30),
  chat('gpt-4-turbo', 128_000, 4_096, 'cl100k_base', 10, 30),
  chat('gpt-4o', 128_000, 16_384, 'o200k_base', 2.5, 10),
  chat('gpt-4o-mini', 128_000, 16_384, 'o200k_base', 0.15, 0.6),
  chat('gpt-4.1', 1_047_576, 32_768, 'o200k_base', 2, 8),
  chat('gpt-4.1-mini', 1_047_576, 32_768, 'o200k_base', 0.4, 1.6),
  chat('gpt-4.1-nano', 1_047_576, 32_768, 'o200k_base', 0.1, 0.4),
  chat('gpt-5', 400_000, 128_000, 'o200k_base', 1.25, 10, true),
  chat('gpt-5-mini', 400_000, 128_000, 'o200k_base', 0.25, 2, true),
  chat('gpt-5-nano', 400_000, 128_000, 'o200k_base', 0.05, 0.4, true),
  chat('o3-mini', 200_000, 100_000, 'o200k_base', 1.1, 4.4, true),
  chat('o4-mini', 200_000, 100_000, 'o200k_base', 1.1, 4.4, true),
];

/** Embedding models known by id. */
export const EMBEDDING_MODELS: readonly EmbeddingModelInfo[] = [
  { id: 'text-embedding-ada-002', dimensions: 1536, supportsDimensions: false, maxInputTokens: 8191, encoding: 'cl100k_base', price: { input: 0.1 } },
  { id: 'text-embedding-3-small', dimensions: 1536, supportsDimensions: true, maxInputTokens: 8191, encoding: 'cl100k_base', price: { input: 0.02 } },
  { id: 'text-embedding-3-large', dimensions: 3072, supportsDimensions: true, maxInputTokens: 8191, encoding: 'cl100k_base', price: { input: 0.13 } },
];

/** OpenAI's per-request embedding limits. */
export const EMBEDDING_REQUEST_LIMITS = { maxInputs: 2048, maxTokens: 300_000 } as const;

function byId<T extends { id: string }>(list: readonly T[], id: string): T | undefined {
  const exact = list.find((m) => m.id === id);
  if (exact) return exact;
  // Dated snapshots and fine-tunes share their family's limits: gpt-4o-2024-08-06, ft:gpt-4o-mini:org::id.
  const base = id.startsWith('ft:') ? (id.split(':')[1] ?? id) : id;
  const snapshot = base.replace(/-\d{4}-\d{2}-\d{2}$|-\d{4}$/, '');
  return list.find((m) => m.id === base) ?? list.find((m) => m.id === snapshot);
}

/** Overrides for a chat model the catalog does not know (or to correct it). */
export interface ChatModelOverrides {
  contextWindow?: number;
  maxOutputTokens?: number;
  encoding?: TokenizerEncoding;
}

/**
 * Limits of a chat model: the catalog's, with `overrides` applied. An unknown model needs its
 * context window given explicitly, because packing a prompt to a guessed window fails at answer time.
 */
export function chatModelInfo(id: string, overrides: ChatModelOverrides = {}): ChatModelInfo {
  const known = byId(CHAT_MODELS, id);
  const contextWindow = overrides.contextWindow ?? known?.contextWindow;
  if (contextWindow === undefined) {
    throw new ConfigError(
      'chatModel',
      id,
      `Unknown chat model "${id}": give its context window as \`contextWindow\` (and its output limit as \`maxOutputTokens\`).`,
    );
  }
  const maxOutputTokens = overrides.maxOutputTokens ?? known?.maxOutputTokens ?? Math.min(4096, Math.floor(contextWindow / 4));
  return {
    ...(known ?? {}),
    id,
    contextWindow,
    maxOutputTokens,
    encoding: overrides.encoding ?? known?.encoding ?? 'o200k_base',
  };
}

/** Limits of an embedding model, or undefined when the catalog does not know it. */
export function embeddingModelInfo(id: string): EmbeddingModelInfo | undefined {
  return byId(EMBEDDING_MODELS, id);
}
