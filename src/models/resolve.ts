/**
 * Picking models: through the provider registry, with `openai` (when OPENAI_API_KEY or
 * OPENAI_BASE_URL is set) or the offline `local` models as the default. Every command reports which
 * one it uses (`describeModels`).
 */
import type { ChatModel, EmbeddingModel, TranscriptionModel } from './spec.js';
import { ConfigError } from '../errors.js';
import { createLexicalEmbedding, LEXICAL_EMBEDDING_ID } from './local/lexical-embedding.js';
import { createExtractiveChat, EXTRACTIVE_CHAT_ID } from './local/extractive-chat.js';
import { createOpenAIEmbedding } from './openai/embedding.js';
import { createOpenAIChat } from './openai/chat.js';
import { createOpenAITranscription } from './openai/transcription.js';
import type { OpenAIConnectionOptions } from './openai/client.js';
import { providerFactory, registerProvider, type ModelSelection } from './registry.js';

export { registerProvider, providerNames, getProvider, type ModelProvider, type ModelSelection } from './registry.js';

/** The connection fields of a selection, without the model fields: what the OpenAI factories take. */
function connectionOf(selection: ModelSelection): OpenAIConnectionOptions {
  const { provider: _p, embeddingModel: _e, dimensions: _d, chatModel: _c, contextWindow: _w, maxOutputTokens: _o, transcriptionModel: _t, ...connection } = selection;
  return connection;
}

registerProvider('local', {
  embedding(selection) {
    if (selection.embeddingModel && selection.embeddingModel !== LEXICAL_EMBEDDING_ID) {
      throw new ConfigError('embeddingModel', selection.embeddingModel, `The local provider has one embedding model, "${LEXICAL_EMBEDDING_ID}"; set OPENAI_API_KEY or OPENAI_BASE_URL to use "${selection.embeddingModel}".`);
    }
    return createLexicalEmbedding(selection.dimensions === undefined ? {} : { dimensions: selection.dimensions });
  },
  chat(selection) {
    if (selection.chatModel && selection.chatModel !== EXTRACTIVE_CHAT_ID) {
      throw new ConfigError('chatModel', selection.chatModel, `The local provider has one chat model, "${EXTRACTIVE_CHAT_ID}"; set OPENAI_API_KEY or OPENAI_BASE_URL to use "${selection.chatModel}".`);
    }
    return createExtractiveChat();
  },
  // No speech recognition of its own: an OpenAI-compatible transcription server, when named.
  transcription: (selection) => ((selection.env ?? process.env).OPENAI_TRANSCRIPTION_BASE_URL ? openAITranscription(selection) : undefined),
});

registerProvider('openai', {
  embedding: ({ embeddingModel, dimensions, ...rest }) =>
    createOpenAIEmbedding({ ...connectionOf(rest), ...(embeddingModel ? { model: embeddingModel } : {}), ...(dimensions ? { dimensions } : {}) }),
  chat: ({ chatModel, contextWindow, maxOutputTokens, ...rest }) =>
    createOpenAIChat({
      ...connectionOf(rest),
      ...(chatModel ? { model: chatModel } : {}),
      ...(contextWindow ? { contextWindow } : {}),
      ...(maxOutputTokens ? { maxOutputTokens } : {}),
    }),
  transcription: openAITranscription,
});

/** OpenAI's speech-to-text, or a compatible server's when OPENAI_TRANSCRIPTION_BASE_URL names one. */
function openAITranscription(selection: ModelSelection): TranscriptionModel {
  const server = (selection.env ?? process.env).OPENAI_TRANSCRIPTION_BASE_URL;
  const { client, ...connection } = connectionOf(selection);
  return createOpenAITranscription({
    ...connection,
    ...(selection.transcriptionModel ? { model: selection.transcriptionModel } : {}),
    ...(server ? { transcriptionBaseURL: server } : {}),
    ...(client && !server ? { client } : {}),
  });
}

/** The provider the environment selects, and why. */
export function defaultProvider(env: NodeJS.ProcessEnv = process.env): { provider: string; reason: string } {
  if (env.OPENAI_API_KEY) return { provider: 'openai', reason: 'OPENAI_API_KEY is set' };
  if (env.OPENAI_BASE_URL) return { provider: 'openai', reason: `OPENAI_BASE_URL is ${env.OPENAI_BASE_URL}` };
  return { provider: 'local', reason: 'no OPENAI_API_KEY or OPENAI_BASE_URL: offline models' };
}

/** The embedding model of a registered provider. */
export function resolveEmbeddingModel(provider: string, selection: ModelSelection = {}): EmbeddingModel {
  return providerFactory(provider, 'embedding')(selection);
}

/** The chat model of a registered provider. */
export function resolveChatModel(provider: string, selection: ModelSelection = {}): ChatModel {
  return providerFactory(provider, 'chat')(selection);
}

/**
 * The speech-to-text model of a provider: OpenAI's, or a compatible server's when
 * OPENAI_TRANSCRIPTION_BASE_URL names one (even with offline chat); undefined when there is none.
 */
export function resolveTranscriptionModel(provider: string, selection: ModelSelection = {}): TranscriptionModel | undefined {
  return providerFactory(provider, 'transcription')(selection);
}

/** One line naming the models in use, e.g. for the first line of every command. */
export function describeModels(models: { embedding?: EmbeddingModel; chat?: ChatModel }, reason?: string): string {
  const parts: string[] = [];
  if (models.embedding) parts.push(`embeddings ${models.embedding.provider}/${models.embedding.modelId} (${models.embedding.dimensions} d)`);
  if (models.chat) parts.push(`chat ${models.chat.provider}/${models.chat.modelId}`);
  return `Using ${parts.join(', ')}${reason ? ` — ${reason}` : ''}`;
}

/** What a collection stores of its embedding model. */
export interface CollectionModel {
  name?: string;
  embeddingProvider: string;
  embeddingModel: string;
  dimensions: number;
}

/**
 * The embedding model a collection was built with, rebuilt through the provider registry from the
 * name it stored: questions must be embedded by the same model as the chunks, whatever the
 * environment's default is.
 */
export function embeddingModelForCollection(collection: CollectionModel, connection: OpenAIConnectionOptions = {}): EmbeddingModel {
  try {
    return resolveEmbeddingModel(collection.embeddingProvider, { ...connection, embeddingModel: collection.embeddingModel, dimensions: collection.dimensions });
  } catch (err) {
    if (!(err instanceof ConfigError) || err.option !== 'provider') throw err;
    const where = collection.name ? `Collection "${collection.name}"` : 'The collection';
    throw new ConfigError('embedding', `${collection.embeddingProvider}/${collection.embeddingModel}`, `${where} was built with ${collection.embeddingProvider}/${collection.embeddingModel}, and no provider "${collection.embeddingProvider}" is registered: pass that embedding model (\`embedding\`) or register its provider with registerProvider().`, { cause: err });
  }
}
