/**
 * Ask: retrieve, pack the sources into the chat model's window, answer with citations.
 *
 *   question ─▶ search (embed, vector + keyword, fuse, rerank?) ─▶ packContext ─▶ chat model ─▶ markCited
 */
import type { Database } from '../store/database.js';
import type { ChatModel, Usage } from '../models/spec.js';
import type { OpenAIConnectionOptions } from '../models/openai/client.js';
import { markCited, packContext, type AnswerSource, type PackedContext, type PackOptions } from './pack-context.js';
import { DONT_KNOW } from './prompt.js';
import type { SearchOptions } from '../retrieval/types.js';
import { search, type EmbeddingChoice } from './search.js';
import { ASK_DEFAULTS } from '../options/defaults.js';

/** Options of {@link askStream} and {@link ask}. */
export interface AskOptions {
  db: Database;
  /** @default 'default' */
  collection?: string;
  question: string;
  chat: ChatModel;
  /**
   * The model that embeds the question: the collection's own (checked), or a function that picks it.
   * @default rebuilt from the collection's stored provider and model through the provider registry
   */
  embedding?: EmbeddingChoice;
  /**
   * Chunks to retrieve; as many as fit the window are given to the model.
   * @default 8
   */
  k?: number;
  /**
   * Only chunks whose metadata contains this: `{ product: 'api' }`. The answer is then drawn from
   * those sources only.
   */
  filter?: Record<string, unknown>;
  /**
   * HNSW candidate list size for the retrieval.
   * @default the collection's `efSearch`, else 40 (pgvector's default)
   */
  efSearch?: number;
  /** Other retrieval settings: mode, candidates, rrfK, reranker, where, maxPerPage (default 2 here), keepNoisePages. */
  search?: Omit<SearchOptions, 'k' | 'filter' | 'efSearch'>;
  pack?: PackOptions;
  connection?: OpenAIConnectionOptions;
  signal?: AbortSignal;
}

/** Events of a streamed answer: the sources first, then the text, then the end. */
export type AskEvent =
  | { type: 'sources'; sources: AnswerSource[] }
  | { type: 'text'; text: string }
  | { type: 'done'; answer: string; sources: AnswerSource[]; usage?: Usage; finishReason: string; promptTokens: number };

/** The sources packed into the chat model's window for a question. */
export async function retrieveContext(options: AskOptions): Promise<PackedContext> {
  const results = await search({
    db: options.db,
    query: options.question,
    k: options.k ?? ASK_DEFAULTS.k,
    maxPerPage: ASK_DEFAULTS.maxPerPage,
    ...options.search,
    ...(options.filter ? { filter: options.filter } : {}),
    ...(options.efSearch !== undefined ? { efSearch: options.efSearch } : {}),
    ...(options.collection ? { collection: options.collection } : {}),
    ...(options.embedding ? { embedding: options.embedding } : {}),
    ...(options.connection ? { connection: options.connection } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return packContext(results, options.question, options.chat, options.pack);
}

/**
 * Answer a question from a collection, streamed. The sources are known before the model writes a
 * word, so they are the first event — a client can show them while the answer streams.
 */
export async function* askStream(options: AskOptions): AsyncGenerator<AskEvent> {
  const packed = await retrieveContext(options);
  yield { type: 'sources', sources: packed.sources };
  if (packed.sources.length === 0) {
    // Nothing retrieved: nothing for a model to answer from, so no call is made.
    yield { type: 'text', text: DONT_KNOW };
    yield { type: 'done', answer: DONT_KNOW, sources: [], finishReason: 'stop', promptTokens: 0 };
    return;
  }
  let answer = '';
  for await (const part of options.chat.stream({
    messages: packed.messages,
    grounding: packed.grounding,
    maxOutputTokens: packed.maxOutputTokens,
    temperature: 0,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    if (part.type === 'text') {
      answer += part.text;
      yield part;
    } else {
      const { usage } = part;
      yield { type: 'done', answer, sources: markCited(answer, packed.sources), finishReason: part.finishReason, promptTokens: packed.promptTokens, ...(usage ? { usage } : {}) };
    }
  }
}

/** The answer to a question, with its sources. */
export interface AskResult {
  answer: string;
  sources: AnswerSource[];
  usage?: Usage;
  promptTokens: number;
  finishReason: string;
}

/** Answer a question from a collection, without streaming. */
export async function ask(options: AskOptions): Promise<AskResult> {
  for await (const event of askStream(options)) {
    if (event.type === 'done') {
      const { type: _type, ...result } = event;
      return result;
    }
  }
  throw new Error('The answer stream ended without a result.');
}
