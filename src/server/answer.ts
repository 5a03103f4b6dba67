/**
 * One answer, as both APIs give it: moderation, a slot in the bounded queue, the standalone
 * question, then `askStream` — whose sources come first, before any text. The client's abort
 * signal runs through all of it, down to the model call.
 */
import type OpenAI from 'openai';
import { askStream, type AskEvent } from '../core/ask.js';
import type { AnswerSource } from '../core/pack-context.js';
import type { MetadataCondition } from '../store/metadata-sql.js';
import type { SearchOptions } from '../retrieval/types.js';
import type { ChatModel } from '../models/spec.js';
import type { OpenAIConnectionOptions } from '../models/openai/client.js';
import type { Database } from '../store/database.js';
import type { EmbeddingChoice } from '../core/search.js';
import { standaloneQuestion, type HistoryMessage } from './conversation.js';
import type { Gate } from './gate.js';
import { checkModeration } from './moderation.js';

/** What answering needs, shared by every request. */
export interface AnswerContext {
  db: Database;
  gate: Gate;
  connection: OpenAIConnectionOptions;
  /** The embedding model of a collection's questions (else rebuilt through the provider registry). */
  embedding?: EmbeddingChoice;
  /** The client for moderation, when questions are moderated. */
  moderation?: OpenAI;
  /** Retrieval settings of every request (the server's `search` option). */
  search?: Omit<SearchOptions, 'k' | 'filter' | 'efSearch'>;
}

/** Retrieval settings of a request beyond `k`. */
export interface RequestRetrieval {
  /** Only chunks whose metadata contains this. */
  filter?: Record<string, unknown>;
  /** HNSW candidate list size of the retrieval (else the collection's). */
  efSearch?: number;
  /** Metadata conditions beyond containment (`!=`, `in`, ranges). */
  where?: MetadataCondition[];
  /** Passages of one page among those retrieved (else the search's or ask's default). */
  maxPerPage?: number;
  keepNoisePages?: boolean;
  /** false: no reranker for this request, whatever the server's. */
  rerank?: boolean;
}

/** One question to answer. */
export interface AnswerRequest extends RequestRetrieval {
  question: string;
  history: HistoryMessage[];
  collection: string;
  k: number;
  chat: ChatModel;
  signal: AbortSignal;
}

/** The server's retrieval settings, without its reranker when a request turns it off. */
export function withoutReranker(search: AnswerContext['search'], rerank: boolean | undefined): AnswerContext['search'] {
  if (!search || rerank !== false) return search ?? {};
  const { reranker: _reranker, ...rest } = search;
  return rest;
}

/** The events of an answer over HTTP: the sources event also says which question was answered. */
export type ServerAskEvent =
  | { type: 'sources'; sources: AnswerSource[]; question: string }
  | Exclude<AskEvent, { type: 'sources' }>;

/**
 * Answer a question, streamed. Everything that can refuse the request (moderation, a full queue,
 * an unknown collection) happens before the first event, so a caller that reads the first event
 * before sending headers can still answer with the right status code.
 */
export async function* answerEvents(context: AnswerContext, request: AnswerRequest): AsyncGenerator<ServerAskEvent> {
  const { signal } = request;
  if (context.moderation) await checkModeration(context.moderation, request.question, signal);
  const release = await context.gate.acquire(signal);
  try {
    const question = await standaloneQuestion(request.chat, request.history, request.question, signal);
    for await (const event of askStream({
      db: context.db,
      collection: request.collection,
      question,
      chat: request.chat,
      k: request.k,
      ...(request.filter ? { filter: request.filter } : {}),
      ...(request.efSearch !== undefined ? { efSearch: request.efSearch } : {}),
      search: {
        ...withoutReranker(context.search, request.rerank),
        ...(request.where ? { where: request.where } : {}),
        ...(request.maxPerPage !== undefined ? { maxPerPage: request.maxPerPage } : {}),
        ...(request.keepNoisePages !== undefined ? { keepNoisePages: request.keepNoisePages } : {}),
      },
      connection: context.connection,
      ...(context.embedding ? { embedding: context.embedding } : {}),
      signal,
    })) {
      if (event.type === 'sources') yield { ...event, question };
      else yield event;
    }
  } finally {
    release();
  }
}
