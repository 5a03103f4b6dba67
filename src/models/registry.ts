/**
 * The provider registry: a provider name (as stored with a collection, or given as `--provider`)
 * to the factories that build its models. `openai` and `local` are built in; users add their own
 * with {@link registerProvider}, so a collection built with their model can be searched by name.
 */
import { ConfigError } from '../errors.js';
import type { ChatModel, EmbeddingModel, TranscriptionModel } from './spec.js';
import type { OpenAIConnectionOptions } from './openai/client.js';

/** Which models to use. Every field is optional; the provider's defaults fill the rest. */
export interface ModelSelection extends OpenAIConnectionOptions {
  /**
   * Provider for the models: a registered name.
   * @default 'openai' when OPENAI_API_KEY or OPENAI_BASE_URL is set, else 'local'
   */
  provider?: string;
  /** @default the provider's default embedding model ('text-embedding-3-small' for openai, 'lexical-hash-v1' for local) */
  embeddingModel?: string;
  /** @default the model's native size */
  dimensions?: number;
  /** @default the provider's default chat model ('gpt-4o-mini' for openai, 'extractive-v1' for local) */
  chatModel?: string;
  /** Context window of a chat model the catalog does not know. */
  contextWindow?: number;
  /** Output limit of a chat model the catalog does not know. */
  maxOutputTokens?: number;
  /** Speech-to-text model. @default the provider's default */
  transcriptionModel?: string;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** What a provider can build. A provider without a kind of model leaves its factory out. */
export interface ModelProvider {
  embedding?(selection: ModelSelection): EmbeddingModel;
  chat?(selection: ModelSelection): ChatModel;
  /** Undefined when the provider has no speech recognition in this environment. */
  transcription?(selection: ModelSelection): TranscriptionModel | undefined;
}

const providers = new Map<string, ModelProvider>();

/**
 * Register (or replace) a provider under `name`. Collections store their embedding model's
 * `provider` name: registering it lets `search`, `ask`, the server and workers rebuild the model
 * from that name when none is passed to them.
 */
export function registerProvider(name: string, provider: ModelProvider): void {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) {
    throw new ConfigError('provider', name, `Expected a provider name of letters, digits, ".", "_" or "-", got "${name}".`);
  }
  providers.set(name, provider);
}

/** Names of the registered providers, in registration order. */
export function providerNames(): string[] {
  return [...providers.keys()];
}

/** The provider registered under `name`; a `ConfigError` naming the registered ones if none is. */
export function getProvider(name: string): ModelProvider {
  const provider = providers.get(name);
  if (!provider) {
    throw new ConfigError('provider', name, `Unknown provider "${name}": registered providers are ${providerNames().map((n) => `"${n}"`).join(', ')}. Register it with registerProvider("${name}", ...) or pass the model itself.`);
  }
  return provider;
}

/** The factory of one kind of model of a provider; a `ConfigError` if the provider has none. */
export function providerFactory<K extends keyof ModelProvider>(name: string, kind: K): NonNullable<ModelProvider[K]> {
  const factory = getProvider(name)[kind];
  if (!factory) throw new ConfigError('provider', name, `Provider "${name}" has no ${kind} models.`);
  return factory as NonNullable<ModelProvider[K]>;
}
