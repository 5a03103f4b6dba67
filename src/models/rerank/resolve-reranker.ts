/**
 * `--rerank <provider/model>` to a `Reranker`: `cohere/…`, `jina/…`, `voyage/…` or `http/…` call a
 * `POST /rerank` endpoint; `llm` or `llm/<chat-model>` asks the chat model to rank listwise.
 */
import { ConfigError } from '../../errors.js';
import type { ChatModel, Reranker } from '../spec.js';
import { createHttpReranker } from './http-reranker.js';
import { createLlmReranker } from './llm-reranker.js';

/** Known `/rerank` services: their base URL and the environment variable of their key. */
const SERVICES: Record<string, { baseUrl?: string; keyEnv?: string }> = {
  cohere: { baseUrl: 'https://api.cohere.com/v2', keyEnv: 'COHERE_API_KEY' },
  jina: { baseUrl: 'https://api.jina.ai/v1', keyEnv: 'JINA_API_KEY' },
  voyage: { baseUrl: 'https://api.voyageai.com/v1', keyEnv: 'VOYAGE_API_KEY' },
  http: {},
};

/** What {@link resolveReranker} needs besides the name. */
export interface ResolveRerankerOptions {
  /** RAGLINE_RERANK_BASE_URL and RAGLINE_RERANK_API_KEY (any provider), COHERE_API_KEY, JINA_API_KEY, VOYAGE_API_KEY. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Builds the chat model of `llm/<id>` (`llm` alone: `id` undefined, the default chat model). */
  chat?: (modelId: string | undefined) => ChatModel;
}

/**
 * The reranker a `provider/model` name asks for. RAGLINE_RERANK_BASE_URL overrides a service's base
 * URL (and is required for `http/…`); RAGLINE_RERANK_API_KEY, else the service's own key variable,
 * is the key.
 */
export function resolveReranker(name: string, options: ResolveRerankerOptions = {}): Reranker {
  const env = options.env ?? process.env;
  const slash = name.indexOf('/');
  const provider = (slash < 0 ? name : name.slice(0, slash)).trim().toLowerCase();
  const model = slash < 0 ? '' : name.slice(slash + 1).trim();
  if (provider === 'llm') {
    if (!options.chat) throw new ConfigError('reranker', name, 'The LLM reranker needs a chat model: pass `chat` to resolveReranker.');
    return createLlmReranker(options.chat(model || undefined));
  }
  const service = SERVICES[provider];
  if (!service) {
    throw new ConfigError('reranker', name, `Unknown reranker "${name}": use cohere/<model>, jina/<model>, voyage/<model>, http/<model> (with RAGLINE_RERANK_BASE_URL) or llm[/<chat-model>].`);
  }
  if (!model) throw new ConfigError('reranker', name, `Name the reranker's model: ${provider}/<model>, for example cohere/rerank-v3.5.`);
  const baseUrl = env.RAGLINE_RERANK_BASE_URL || service.baseUrl;
  if (!baseUrl) throw new ConfigError('reranker', name, `Reranker "${name}" needs RAGLINE_RERANK_BASE_URL: the base URL its POST /rerank lives under, like http://localhost:8080/v1.`);
  const apiKey = env.RAGLINE_RERANK_API_KEY || (service.keyEnv ? env[service.keyEnv] : undefined);
  return createHttpReranker({ baseUrl, model, provider, ...(apiKey ? { apiKey } : {}) });
}
