/**
 * Picking providers: `openai` when OPENAI_API_KEY or OPENAI_BASE_URL is set, else the offline
 * `local` models. Every command reports which one it uses (`describeModels`).
 */
import type { ChatModel, EmbeddingModel, TranscriptionModel } from './spec.js';
import { ConfigError } from '../errors.js';
import { createLexicalEmbedding, LEXICAL_EMBEDDING_ID } from './local/lexical-embedding.js';
import { createExtractiveChat, EXTRACTIVE_CHAT_ID } from './local/extractive-chat.js';
import { createOpenAIEmbedding } from './openai/embedding.js';
import { createOpenAIChat } from './openai/chat.js';
import { createOpenAITranscription } from './openai/transcription.js';
import type { OpenAIConnectionOptions } from './openai/client.js';

/** Known providers. */
export type ProviderName = 'openai' | 'local';

/** Which models to use. Every field is optional; the environment fills the rest. */
export interface ModelSelection extends OpenAIConnectionOptions {
  /**
   * Provider for both models.
   * @default 'openai' when OPENAI_API_KEY or OPENAI_BASE_URL is set, else 'local'
   */
  provider?: ProviderName;
  /** @default 'text-embedding-3-small' (openai) or 'lexical-hash-v1' (local) */
  embeddingModel?: string;
  /** @default the model's native size */
  dimensions?: number;
  /** @default 'gpt-4o-mini' (openai) or 'extractive-v1' (local) */
  chatModel?: string;
  /** Context window of a chat model the catalog does not know. */
  contextWindow?: number;
  /** Output limit of a chat model the catalog does not know. */
  maxOutputTokens?: number;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** The provider the environment selects, and why. */
export function defaultProvider(env: NodeJS.ProcessEnv = process.env): { provider: ProviderName; reason: string } {
  if (env.OPENAI_API_KEY) return { provider: 'openai', reason: 'OPENAI_API_KEY is set' };
  if (env.OPENAI_BASE_URL) return { provider: 'openai', reason: `OPENAI_BASE_URL is ${env.OPENAI_BASE_URL}` };
  return { provider: 'local', reason: 'no OPENAI_API_KEY or OPENAI_BASE_URL: offline models' };
}

function checkProvider(name: string): ProviderName {
  if (name === 'openai' || name === 'local') return name;
  throw new ConfigError('provider', name, `Unknown provider "${name}": use "openai" or "local".`);
}

/** The embedding model for a provider and model id. */
export function resolveEmbeddingModel(provider: ProviderName, selection: ModelSelection = {}): EmbeddingModel {
  if (checkProvider(provider) === 'local') {
    if (selection.embeddingModel && selection.embeddingModel !== LEXICAL_EMBEDDING_ID) {
      throw new ConfigError('embeddingModel', selection.embeddingModel, `The local provider has one embedding model, "${LEXICAL_EMBEDDING_ID}"; set OPENAI_API_KEY or OPENAI_BASE_URL to use "${selection.embeddingModel}".`);
    }
    return createLexicalEmbedding(selection.dimensions === undefined ? {} : { dimensions: selection.dimensions });
  }
  const { embeddingModel, dimensions, ...connection } = selection;
  return createOpenAIEmbedding({ ...connection, ...(embeddingModel ? { model: embeddingModel } : {}), ...(dimensions ? { dimensions } : {}) });
}

/** The chat model for a provider and model id. */
export function resolveChatModel(provider: ProviderName, selection: ModelSelection = {}): ChatModel {
  if (checkProvider(provider) === 'local') {
    if (selection.chatModel && selection.chatModel !== EXTRACTIVE_CHAT_ID) {
      throw new ConfigError('chatModel', selection.chatModel, `The local provider has one chat model, "${EXTRACTIVE_CHAT_ID}"; set OPENAI_API_KEY or OPENAI_BASE_URL to use "${selection.chatModel}".`);
    }
    return createExtractiveChat();
  }
  const { chatModel, contextWindow, maxOutputTokens, apiKey, baseURL, maxRetries, timeoutMs, client } = selection;
  return createOpenAIChat({
    ...(chatModel ? { model: chatModel } : {}),
    ...(contextWindow ? { contextWindow } : {}),
    ...(maxOutputTokens ? { maxOutputTokens } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(baseURL ? { baseURL } : {}),
    ...(maxRetries !== undefined ? { maxRetries } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(client ? { client } : {}),
  });
}

/**
 * The speech-to-text model for a provider: OpenAI's, or a compatible server's when
 * OPENAI_TRANSCRIPTION_BASE_URL names one (even with offline chat). `local` has no speech
 * recognition of its own, so without such a server there is none (undefined).
 */
export function resolveTranscriptionModel(provider: ProviderName, selection: ModelSelection & { transcriptionModel?: string } = {}): TranscriptionModel | undefined {
  const env = selection.env ?? process.env;
  const server = env.OPENAI_TRANSCRIPTION_BASE_URL;
  if (checkProvider(provider) === 'local' && !server) return undefined;
  const { transcriptionModel, apiKey, baseURL, maxRetries, timeoutMs, client } = selection;
  return createOpenAITranscription({
    ...(transcriptionModel ? { model: transcriptionModel } : {}),
    ...(server ? { transcriptionBaseURL: server } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(baseURL ? { baseURL } : {}),
    ...(maxRetries !== undefined ? { maxRetries } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(client && !server ? { client } : {}),
  });
}

/** One line naming the models in use, e.g. for the first line of every command. */
export function describeModels(models: { embedding?: EmbeddingModel; chat?: ChatModel }, reason?: string): string {
  const parts: string[] = [];
  if (models.embedding) parts.push(`embeddings ${models.embedding.provider}/${models.embedding.modelId} (${models.embedding.dimensions} d)`);
  if (models.chat) parts.push(`chat ${models.chat.provider}/${models.chat.modelId}`);
  return `Using ${parts.join(', ')}${reason ? ` — ${reason}` : ''}`;
}

/**
 * The embedding model a collection was built with: questions must be embedded by the same model
 * as the chunks, whatever the environment's default is.
 */
export function embeddingModelForCollection(
  collection: { embeddingProvider: string; embeddingModel: string; dimensions: number },
  connection: OpenAIConnectionOptions = {},
): EmbeddingModel {
  const provider = checkProvider(collection.embeddingProvider);
  return resolveEmbeddingModel(provider, { ...connection, embeddingModel: collection.embeddingModel, dimensions: collection.dimensions });
}
