/**
 * Reaching an OpenAI-compatible API. The SDK is loaded on the first request, not on import: the
 * model factories are synchronous and know where they send (key, base URL) without it.
 */
import type OpenAI from 'openai';
import { ConfigError, ModelError } from '../../errors.js';
import { sharedRateLimiter, type RateLimiter, type RateLimits } from './rate-limiter.js';

/** The SDK module. */
export type OpenAISdk = typeof import('openai');

let sdk: Promise<OpenAISdk> | undefined;

/** The SDK, loaded once, on first use: a process that never calls the API never loads it. */
export function loadOpenAISdk(): Promise<OpenAISdk> {
  return (sdk ??= import('openai'));
}

/** OpenAI's API, where no base URL is given. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** How to reach an OpenAI-compatible API. */
export interface OpenAIConnectionOptions {
  /**
   * API key.
   * @default process.env.OPENAI_API_KEY
   */
  apiKey?: string;
  /**
   * Base URL of the API, ending in `/v1` for most servers.
   * @default process.env.OPENAI_BASE_URL, else https://api.openai.com/v1
   */
  baseURL?: string;
  /**
   * Retries of failed requests (429 except `insufficient_quota`, 408, 409, 5xx, timeouts, connection
   * errors), by ragline's scheduler: `retry-after` honoured, else exponential backoff with jitter.
   * The SDK's own retries are off.
   * @default 6
   */
  maxRetries?: number;
  /**
   * The account's budgets for this model, as a start: the `x-ratelimit-*` headers of the first
   * response replace them. Without them (and on servers that send no such headers: Ollama, vLLM,
   * LM Studio, llama.cpp, LocalAI) only the adaptive concurrency limits the rate.
   * @default unknown until the server announces them
   */
  rateLimits?: RateLimits;
  /**
   * Most requests in flight at once on this key and model, across the whole process.
   * @default 32
   */
  maxConcurrency?: number;
  /**
   * The scheduler to send through.
   * @default the process-wide one of this API key, base URL and model (`sharedRateLimiter`)
   */
  rateLimiter?: RateLimiter;
  /**
   * Request timeout in milliseconds.
   * @default 600000
   */
  timeoutMs?: number;
  /** An existing client to use instead of creating one. */
  client?: OpenAI;
  /**
   * Where OPENAI_API_KEY and OPENAI_BASE_URL are read when `apiKey` and `baseURL` are not given.
   * @default process.env
   */
  env?: NodeJS.ProcessEnv;
}

/** Where requests go and with which key: what a client is built from, and what keys its rate limiter. */
export interface OpenAITarget {
  apiKey: string;
  baseURL: string;
}

/**
 * The key and base URL these options name (the given client's, if any), without loading the SDK.
 * A `ConfigError` when there is no key and no base URL: OpenAI itself needs a key.
 */
export function openAITarget(options: OpenAIConnectionOptions = {}): OpenAITarget {
  if (options.client) return { apiKey: options.client.apiKey ?? '', baseURL: options.client.baseURL };
  const env = options.env ?? process.env;
  const baseURL = options.baseURL || env.OPENAI_BASE_URL || undefined;
  // An empty key is no key (the SDK would refuse it, on the first request).
  const key = options.apiKey || env.OPENAI_API_KEY || undefined;
  if (key !== undefined) return { apiKey: key, baseURL: baseURL ?? OPENAI_BASE_URL };
  if (baseURL === undefined) {
    throw new ConfigError('apiKey', undefined, 'No OpenAI API key: set OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server), or give the model an apiKey.');
  }
  // OpenAI itself always needs a key: say so at once rather than after retries. Compatible servers
  // (Ollama, vLLM, llama.cpp, on this machine or another) often need none, but the SDK insists on one.
  if (isOpenAIHost({ baseURL })) {
    throw new ConfigError('apiKey', undefined, `No API key for ${baseURL}: set OPENAI_API_KEY, or give the model an apiKey.`);
  }
  return { apiKey: 'unused', baseURL };
}

/**
 * Create (or reuse) the official SDK client for these options. Its own retries are off: requests go
 * through `sendWithRetries`, which knows the rate limits.
 */
export async function openAIClient(options: OpenAIConnectionOptions = {}): Promise<OpenAI> {
  if (options.client) return options.client.withOptions({ maxRetries: 0 });
  const { apiKey, baseURL } = openAITarget(options);
  const { OpenAI } = await loadOpenAISdk();
  return new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: options.timeoutMs ?? 600_000 });
}

/** {@link openAIClient} made on the first call and shared by the later ones. */
export function lazyOpenAIClient(options: OpenAIConnectionOptions = {}): () => Promise<OpenAI> {
  let client: Promise<OpenAI> | undefined;
  return () => (client ??= openAIClient(options));
}

/**
 * The scheduler for requests of `model` to `target` (a client, or {@link openAITarget}): the given
 * one, else the process-wide one of that key, base URL and model.
 */
export function rateLimiterFor(target: { apiKey: string | null; baseURL: string }, model: string, options: OpenAIConnectionOptions = {}): RateLimiter {
  if (options.rateLimiter) return options.rateLimiter;
  return sharedRateLimiter(
    { apiKey: target.apiKey ?? '', baseURL: target.baseURL, model },
    { ...options.rateLimits, ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}) },
  );
}

/** Whether the target (a client, or {@link openAITarget}) is OpenAI itself rather than a compatible server. */
export function isOpenAIHost(target: { baseURL: string }): boolean {
  try {
    return new URL(target.baseURL).hostname.endsWith('api.openai.com');
  } catch {
    return false;
  }
}

/** Turn an SDK error into a `ModelError` whose message is one line a user can act on. */
export async function toModelError(err: unknown, model: string, what: string): Promise<unknown> {
  if (err instanceof ModelError) return err;
  const api = await loadOpenAISdk();
  if (err instanceof api.APIUserAbortError) return err;
  if (err instanceof api.APIConnectionError) {
    return new ModelError('openai', model, `Could not reach the OpenAI API for ${what} (${err.message}): check OPENAI_BASE_URL and the network.`, {
      cause: err,
      isRetryable: true,
    });
  }
  if (err instanceof api.APIError) {
    const code = typeof err.code === 'string' ? err.code : undefined;
    const detail = (err.error as { message?: string } | undefined)?.message ?? err.message;
    if (code === 'insufficient_quota') {
      return new ModelError('openai', model, `The OpenAI account has no quota left (insufficient_quota): add credit or use another key, then run again.`, {
        cause: err,
        status: err.status,
        code: 'insufficient_quota',
      });
    }
    if (err.status === 401) {
      return new ModelError('openai', model, `The API rejected the key (401): set OPENAI_API_KEY to a valid key.`, { cause: err, status: 401 });
    }
    const status = err.status ?? 0;
    return new ModelError('openai', model, `${what} failed with ${status}${code ? ` ${code}` : ''}: ${detail}`, {
      cause: err,
      status,
      isRetryable: status === 408 || status === 409 || status === 429 || status >= 500,
      ...(code === 'context_length_exceeded' ? { code } : {}),
    });
  }
  return err;
}
