/**
 * An HTTP server that speaks the OpenAI API (embeddings, chat completions, models) faithfully
 * enough for the official SDK and for ragline's error handling: the real limits (inputs, tokens,
 * context windows), the real error bodies, per-model RPM/TPM budgets with OpenAI's rate-limit
 * headers, and scripted or seeded random faults. Tests and benchmarks point `OPENAI_BASE_URL` at
 * it because no machine here can reach the real API.
 *
 * Every request is recorded in `standIn.requests`, so a test can assert how many calls were made
 * and with what bodies.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiErrorResponse,
  badGateway,
  contextLengthExceeded,
  embeddingInputTooLong,
  embeddingRequestTooLarge,
  insufficientQuota,
  integerOutOfRange,
  invalidEmbeddingInput,
  invalidRequest,
  invalidType,
  invalidUrl,
  maxTokensTooLarge,
  missingApiKey,
  missingParameter,
  modelNotFound,
  overloaded,
  rateLimitReached,
  requestTooLargeForRateLimit,
  serverError,
  unparsableJson,
} from './api-errors.js';
import { featureHashEmbedding, float32ToBase64 } from './embedding.js';
import { moderationsResponse } from './moderations.js';
import { rerankResponse } from './rerank.js';
import { handleAudioTranscription, type StandInTranscriber } from './audio.js';
import {
  CL100K,
  EMBEDDING_LIMITS,
  MODELS,
  countPromptTokens,
  type ChatModelSpec,
  type EmbeddingModelSpec,
  type ModelSpec,
  type PlainMessage,
} from './models.js';
import { RefillingBudget, formatOpenAIDuration } from './rate-limit.js';
import { createBatchRoutes } from './batches.js';

export { featureHashEmbedding } from './embedding.js';
export { formatOpenAIDuration } from './rate-limit.js';
export { MODELS, EMBEDDING_LIMITS } from './models.js';

/** A chat message as `respond` sees it: multi-part content is joined into one string. */
export interface StandInChatMessage {
  role: string;
  content: string;
}

/** The kinds of fault the stand-in can inject. */
export type FaultKind =
  | '429-retry-after'
  | '429'
  | 'insufficient-quota'
  | '500'
  | '502'
  | '503'
  | 'slow'
  | 'disconnect';

/** The faults drawn at random when `faultRate` > 0, each equally likely. */
export const RANDOM_FAULT_KINDS: readonly FaultKind[] = ['429-retry-after', '429', '500', '503', 'slow'];

/**
 * A fault to inject into one upcoming request (see `injectFaults`).
 * - `{ status: 429 }`: a rate-limit 429; with `retryAfterSeconds`, `retry-after` and
 *   `retry-after-ms` headers tell the client when to retry; with `code: 'insufficient_quota'`, the
 *   out-of-credit 429 that must not be retried.
 * - `{ status: 500 | 502 | 503 }`: a server error, optionally with `retry-after`.
 * - `{ delayMs }`: answer normally, but only after this extra delay (for timeout tests).
 * - `{ disconnect: true }`: drop the connection without answering (a network error for the client).
 */
export type StandInFault =
  | { status: 429; retryAfterSeconds?: number; code?: 'rate_limit_exceeded' | 'insufficient_quota' }
  | { status: 500 | 502 | 503; retryAfterSeconds?: number }
  | { delayMs: number }
  | { disconnect: true };

/** One request as the stand-in received and answered it. */
export interface RecordedRequest {
  /** HTTP method, e.g. `POST`. */
  method: string;
  /** Path without the query string, e.g. `/v1/embeddings`. */
  path: string;
  /** The parsed JSON body (the raw text when it was not JSON; `undefined` when empty). */
  body: unknown;
  /** Response status; 0 while the response has not started, or when the connection was dropped. */
  status: number;
  /** The request's headers (lower-case names, as Node gives them). */
  headers: IncomingHttpHeaders;
  /** The response's headers, once it has started. */
  responseHeaders: Record<string, string>;
  /** Whether the client closed the connection before the response ended (e.g. it aborted a stream). */
  clientClosed?: boolean;
  /** The injected fault that shaped the answer, if any. */
  fault?: { source: 'scripted' | 'random'; kind: FaultKind };
}

/** Options of `startOpenAIStandIn`. */
export interface OpenAIStandInOptions {
  /**
   * TCP port to listen on; 0 picks a free one (read it from `url`).
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on. Keep it on loopback: the stand-in has no authentication worth the name.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Delay before answering every request, in milliseconds, to model network and queueing time.
   * @default 0
   */
  latencyMs?: number;
  /**
   * Delay between streamed chat chunks (one per word), in milliseconds, to model generation speed.
   * @default 0
   */
  streamDelayMs?: number;
  /**
   * How to compute the embedding of a text; must return exactly `dimensions` numbers. Token-array
   * inputs are decoded to text (cl100k_base) first.
   * @default featureHashEmbedding — lexical, deterministic, unit length
   */
  embed?: (text: string, dimensions: number) => Float32Array;
  /**
   * The assistant's reply to a chat request, before truncation to `max_tokens`. The third argument
   * is the whole request body, for replies that depend on `response_format` and the like.
   * @default defaultRespond — "Stand-in reply: " and the first sentence of the last user message
   */
  respond?: (messages: StandInChatMessage[], model: string, request: Record<string, unknown>) => string;
  /**
   * Requests per minute allowed for each model, refilled continuously.
   * @default 10_000
   */
  rpm?: number;
  /**
   * Tokens per minute allowed for each model (embedding input tokens; chat prompt tokens plus
   * `max_tokens`), refilled continuously.
   * @default 10_000_000
   */
  tpm?: number;
  /**
   * Probability (0..1) that a request gets a random fault from `RANDOM_FAULT_KINDS` instead of
   * (or, for `slow`, before) its normal answer.
   * @default 0
   */
  faultRate?: number;
  /**
   * Seed of the random fault sequence: the same seed and the same order of requests give the
   * same faults.
   * @default 1
   */
  seed?: number;
  /**
   * Extra delay of a random `slow` fault, in milliseconds.
   * @default 2000
   */
  faultDelayMs?: number;
  /**
   * `retry-after` of a random `429-retry-after` fault, in milliseconds.
   * @default 1000
   */
  faultRetryAfterMs?: number;
  /**
   * What `/v1/audio/transcriptions` hears in an upload (see audio.ts): the stand-in cannot recognise speech.
   * @default measuringTranscriber — no words, the length of WAV audio
   */
  transcribe?: StandInTranscriber;
}

/** A running stand-in. */
export interface OpenAIStandIn {
  /** Base URL for the SDK's `baseURL` / `OPENAI_BASE_URL`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Every request received, in order of arrival. Clear it with `requests.length = 0`. */
  readonly requests: RecordedRequest[];
  /** Queue faults for the next requests, one fault per request, in order. */
  injectFaults(...faults: StandInFault[]): void;
  /** Stop listening and drop open connections (including streams and delayed answers). */
  close(): Promise<void>;
}

/** The organization named in rate-limit messages and the `openai-organization` header. */
const ORGANIZATION = 'org-standin';
/** Request bodies above this are refused with 413 (2048 inputs of 8191 tokens fit easily). */
const MAX_BODY_BYTES = 256 * 1024 * 1024;
/** Roles the chat endpoint accepts. */
const CHAT_ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

/**
 * The default chat reply: `Stand-in reply: ` followed by the first sentence (at most 300
 * characters) of the last user message, so tests can tell which question was answered.
 */
export function defaultRespond(messages: readonly StandInChatMessage[]): string {
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  const text = (lastUser?.content ?? '').replace(/\s+/g, ' ').trim();
  const sentence = (/^.*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text).slice(0, 300);
  return `Stand-in reply: ${sentence || '(no question)'}`;
}

/** mulberry32: a small seeded PRNG, so fault sequences are reproducible. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The kind a scripted fault is recorded as. */
function scriptedKind(fault: StandInFault): FaultKind {
  if ('disconnect' in fault) return 'disconnect';
  if ('delayMs' in fault) return 'slow';
  if (fault.status === 429) {
    if (fault.code === 'insufficient_quota') return 'insufficient-quota';
    return fault.retryAfterSeconds === undefined ? '429' : '429-retry-after';
  }
  return String(fault.status) as '500' | '502' | '503';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Thrown by `sleep` when the server closes, to unwind handlers whose sockets are gone. */
class ServerClosed extends Error {}

/** Start a stand-in and resolve once it listens. */
export async function startOpenAIStandIn(options: OpenAIStandInOptions = {}): Promise<OpenAIStandIn> {
  const settings = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    latencyMs: options.latencyMs ?? 0,
    streamDelayMs: options.streamDelayMs ?? 0,
    embed: options.embed ?? featureHashEmbedding,
    respond: options.respond ?? defaultRespond,
    rpm: options.rpm ?? 10_000,
    tpm: options.tpm ?? 10_000_000,
    faultRate: options.faultRate ?? 0,
    seed: options.seed ?? 1,
    faultDelayMs: options.faultDelayMs ?? 2000,
    faultRetryAfterMs: options.faultRetryAfterMs ?? 1000,
  };
  for (const [name, value] of Object.entries({ rpm: settings.rpm, tpm: settings.tpm })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
  if (!(settings.faultRate >= 0 && settings.faultRate <= 1)) {
    throw new RangeError(`faultRate must be between 0 and 1, got ${String(settings.faultRate)}`);
  }

  const requests: RecordedRequest[] = [];
  const scriptedFaults: StandInFault[] = [];
  const random = mulberry32(settings.seed);
  const closing = new AbortController();
  const budgets = new Map<string, { requests: RefillingBudget; tokens: RefillingBudget }>();

  function budgetFor(model: string): { requests: RefillingBudget; tokens: RefillingBudget } {
    let budget = budgets.get(model);
    if (!budget) {
      budget = { requests: new RefillingBudget(settings.rpm), tokens: new RefillingBudget(settings.tpm) };
      budgets.set(model, budget);
    }
    return budget;
  }

  /** The `x-ratelimit-*` headers of a model's current budget. */
  function rateLimitHeaders(model: string): Record<string, string> {
    const budget = budgetFor(model);
    return {
      'x-ratelimit-limit-requests': String(budget.requests.limit),
      'x-ratelimit-limit-tokens': String(budget.tokens.limit),
      'x-ratelimit-remaining-requests': String(budget.requests.remaining()),
      'x-ratelimit-remaining-tokens': String(budget.tokens.remaining()),
      'x-ratelimit-reset-requests': formatOpenAIDuration(budget.requests.resetMs()),
      'x-ratelimit-reset-tokens': formatOpenAIDuration(budget.tokens.resetMs()),
    };
  }

  function retryAfterHeaders(ms: number): Record<string, string> {
    // `retry-after` must be whole seconds (RFC 9110); the SDK prefers the precise `retry-after-ms`.
    return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))), 'retry-after-ms': String(Math.ceil(ms)) };
  }

  /**
   * Spend one request and `tokens` tokens of the model's budget, or throw the 429 OpenAI sends.
   * @returns the `x-ratelimit-*` headers as of this admission (what the answer reports, however
   * long it then takes to compose: the budget refills meanwhile)
   */
  function spendBudget(model: string, tokens: number): Record<string, string> {
    const budget = budgetFor(model);
    if (tokens > budget.tokens.limit) {
      throw requestTooLargeForRateLimit(model, ORGANIZATION, budget.tokens.limit, tokens);
    }
    const waits: Array<{ kind: 'requests' | 'tokens'; ms: number; budget: RefillingBudget; requested: number }> = [
      { kind: 'requests', ms: budget.requests.waitMs(1), budget: budget.requests, requested: 1 },
      { kind: 'tokens', ms: budget.tokens.waitMs(tokens), budget: budget.tokens, requested: tokens },
    ];
    const blocking = waits.find((wait) => wait.ms > 0);
    if (blocking) {
      throw rateLimitReached({
        model,
        organization: ORGANIZATION,
        kind: blocking.kind,
        limit: blocking.budget.limit,
        used: blocking.budget.used(),
        requested: blocking.requested,
        retryIn: formatOpenAIDuration(blocking.ms),
        headers: retryAfterHeaders(blocking.ms),
      });
    }
    budget.requests.take(1);
    budget.tokens.take(tokens);
    return rateLimitHeaders(model);
  }

  function sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (closing.signal.aborted) return reject(new ServerClosed());
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new ServerClosed());
      };
      const timer = setTimeout(() => {
        closing.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      closing.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The fault for this request: the next scripted one, else a random draw. */
  function nextFault(): { fault: StandInFault; kind: FaultKind; source: 'scripted' | 'random' } | undefined {
    // Draw for every request, scripted or not, so the random sequence depends only on request order.
    const hit = random() < settings.faultRate;
    const pick = random();
    const scripted = scriptedFaults.shift();
    if (scripted) return { fault: scripted, kind: scriptedKind(scripted), source: 'scripted' };
    if (!hit) return undefined;
    const kind = RANDOM_FAULT_KINDS[Math.floor(pick * RANDOM_FAULT_KINDS.length)] ?? '500';
    const retryAfterSeconds = settings.faultRetryAfterMs / 1000;
    const fault: StandInFault =
      kind === '429-retry-after'
        ? { status: 429, retryAfterSeconds }
        : kind === '429'
          ? { status: 429 }
          : kind === '503'
            ? { status: 503 }
            : kind === 'slow'
              ? { delayMs: settings.faultDelayMs }
              : { status: 500 };
    return { fault, kind, source: 'random' };
  }

  // Batch lines are answered like /v1/embeddings requests, without rate limits or faults.
  const batchRoutes = createBatchRoutes({ embeddings: (body) => embeddingsResponse(planEmbeddings(resolveModel(body, 'embedding'), body)) });

  const server: Server = createServer((req, res) => {
    // Only reading the body can fail outside `handle`'s own error handling (the client went away).
    handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const requestId = `req_${randomBytes(16).toString('hex')}`;
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://stand-in').pathname.replace(/\/+$/, '') || '/';
    if (method === 'POST' && path === '/v1/audio/transcriptions') {
      // Multipart audio, read as bytes by its own handler (audio.ts); recorded like the rest.
      const audioEntry: RecordedRequest = { method, path, body: undefined, status: 0, headers: req.headers, responseHeaders: {} };
      requests.push(audioEntry);
      Object.assign(audioEntry, await handleAudioTranscription(req, res, options.transcribe ? { transcribe: options.transcribe } : {}));
      return;
    }
    const raw = await readBody(req);
    const entry: RecordedRequest = { method, path, body: undefined, status: 0, headers: req.headers, responseHeaders: {} };
    requests.push(entry);
    if (await batchRoutes.handle(req, res, raw, entry)) return;
    res.on('close', () => {
      if (!res.writableFinished) entry.clientClosed = true;
    });

    const baseHeaders = (): Record<string, string> => ({
      'x-request-id': requestId,
      'openai-processing-ms': String(Math.round(performance.now() - startedAt)),
      'openai-organization': ORGANIZATION,
      'openai-version': '2020-10-01',
    });
    const startResponse = (status: number, headers: Record<string, string>): void => {
      const all = { ...baseHeaders(), ...headers };
      entry.status = status;
      entry.responseHeaders = all;
      res.writeHead(status, all);
    };
    const sendJson = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      if (res.destroyed) return;
      startResponse(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    let modelForHeaders: string | undefined;
    const sendError = (error: ApiErrorResponse): void => {
      const limits = modelForHeaders ? rateLimitHeaders(modelForHeaders) : {};
      sendJson(error.status, error.body(), { ...limits, ...error.headers });
    };

    try {
      if (raw === undefined) throw new ApiErrorResponse(413, 'Request body too large.', 'invalid_request_error');
      await sleep(settings.latencyMs);

      const route = matchRoute(method, path);
      if (!route) throw invalidUrl(method, path);
      const authorization = req.headers.authorization ?? '';
      if (!/^Bearer\s+\S/i.test(authorization)) throw missingApiKey();

      let body: Record<string, unknown> = {};
      if (method === 'POST') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw);
        } catch {
          entry.body = raw === '' ? undefined : raw;
          throw unparsableJson();
        }
        entry.body = parsed;
        if (!isRecord(parsed)) throw unparsableJson();
        body = parsed;
      }
      if (typeof body.model === 'string' && MODELS.has(body.model)) modelForHeaders = body.model;

      const drawn = nextFault();
      if (drawn) {
        entry.fault = { source: drawn.source, kind: drawn.kind };
        const { fault } = drawn;
        if ('disconnect' in fault) {
          req.socket.destroy();
          return;
        }
        if ('delayMs' in fault) {
          await sleep(fault.delayMs);
        } else {
          throw faultResponse(fault, typeof body.model === 'string' ? body.model : 'unknown', requestId);
        }
      }

      switch (route.name) {
        case 'models':
          sendJson(200, { object: 'list', data: [...MODELS.values()].map(modelObject) });
          return;
        case 'model': {
          const spec = MODELS.get(route.id);
          if (!spec) throw new ApiErrorResponse(404, `The model '${route.id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found');
          sendJson(200, modelObject(spec));
          return;
        }
        case 'embeddings': {
          const spec = resolveModel(body, 'embedding');
          const plan = planEmbeddings(spec, body);
          const headers = spendBudget(spec.id, plan.totalTokens);
          sendJson(200, embeddingsResponse(plan), headers);
          return;
        }
        case 'moderations':
          sendJson(200, moderationsResponse(body));
          return;
        case 'rerank':
          sendJson(200, rerankResponse(body));
          return;
        case 'chat': {
          const spec = resolveModel(body, 'chat');
          const request = planChat(spec, body);
          const headers = spendBudget(spec.id, request.rateLimitTokens);
          const reply = composeReply(spec, body, request);
          if (request.stream) {
            startResponse(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
            await streamChat(res, request, reply);
          } else {
            sendJson(200, chatCompletion(request, reply), headers);
          }
          return;
        }
      }
    } catch (err) {
      if (err instanceof ApiErrorResponse) {
        sendError(err);
      } else if (err instanceof ServerClosed || res.destroyed) {
        // The server is closing or the client left: nobody to answer.
      } else if (res.headersSent) {
        res.destroy(); // mid-stream: a truncated stream is what a client would see
      } else {
        // A bug in the stand-in or in a user `embed`/`respond`: answer like the API would, but say why.
        console.error('openai stand-in: unexpected error', err);
        const error = serverError();
        sendJson(500, { error: { ...error.body().error, message: `${error.message} (stand-in: ${String(err)})` } });
      }
    }
  }

  function faultResponse(fault: Exclude<StandInFault, { delayMs: number } | { disconnect: true }>, model: string, requestId: string): ApiErrorResponse {
    const retry = fault.retryAfterSeconds === undefined ? {} : retryAfterHeaders(fault.retryAfterSeconds * 1000);
    switch (fault.status) {
      case 429: {
        if (fault.code === 'insufficient_quota') return insufficientQuota(retry);
        const budget = budgetFor(model);
        return rateLimitReached({
          model,
          organization: ORGANIZATION,
          kind: 'requests',
          limit: budget.requests.limit,
          used: budget.requests.limit,
          requested: 1,
          retryIn: formatOpenAIDuration((fault.retryAfterSeconds ?? 1) * 1000),
          headers: retry,
        });
      }
      case 500:
        return serverError(retry);
      case 502:
        return badGateway(retry);
      case 503:
        return overloaded(requestId, retry);
    }
  }

  function resolveModel(body: Record<string, unknown>, kind: 'embedding'): EmbeddingModelSpec;
  function resolveModel(body: Record<string, unknown>, kind: 'chat'): ChatModelSpec;
  function resolveModel(body: Record<string, unknown>, kind: ModelSpec['kind']): ModelSpec {
    const model = body.model;
    if (typeof model !== 'string' || model === '') throw invalidRequest('you must provide a model parameter');
    const spec = MODELS.get(model);
    if (!spec) throw modelNotFound(model);
    if (spec.kind !== kind) {
      throw kind === 'chat'
        ? new ApiErrorResponse(
            404,
            'This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?',
            'invalid_request_error',
            'model',
          )
        : invalidRequest(`This model does not support embeddings: ${model}.`, 'model');
    }
    return spec;
  }

  /** Validate an embeddings request the way the API does and count its tokens. */
  function planEmbeddings(spec: EmbeddingModelSpec, body: Record<string, unknown>): EmbeddingsPlan {
    const inputs = parseEmbeddingInputs(body.input);

    const format = body.encoding_format ?? 'float';
    if (format !== 'float' && format !== 'base64') {
      throw invalidRequest(`'${String(format)}' is not one of ['float', 'base64'] - 'encoding_format'`, 'encoding_format');
    }

    let dimensions = spec.nativeDimensions;
    if (body.dimensions !== undefined && body.dimensions !== null) {
      if (!spec.supportsDimensions) throw invalidRequest('This model does not support specifying dimensions.');
      const value = body.dimensions;
      if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType('dimensions', 'an integer', value);
      if (value < 1) throw integerOutOfRange('dimensions', value, 1, 'min');
      if (value > spec.nativeDimensions) throw integerOutOfRange('dimensions', value, spec.nativeDimensions, 'max');
      dimensions = value;
    }

    const tokenCounts = inputs.map((input) => (typeof input === 'string' ? spec.encoding.encode(input).length : input.length));
    for (const count of tokenCounts) {
      if (count > EMBEDDING_LIMITS.maxTokensPerInput) throw embeddingInputTooLong(EMBEDDING_LIMITS.contextLengthInMessage, count);
    }
    const totalTokens = tokenCounts.reduce((sum, count) => sum + count, 0);
    if (totalTokens > EMBEDDING_LIMITS.maxTokensPerRequest) {
      throw embeddingRequestTooLarge(totalTokens, EMBEDDING_LIMITS.maxTokensPerRequest);
    }
    // Decode token arrays now, so an id outside the vocabulary is a 400 before any budget is spent.
    const texts = inputs.map((input) => (typeof input === 'string' ? input : decodeTokens(input)));
    return { model: spec.id, texts, dimensions, format, totalTokens };
  }

  function embeddingsResponse(plan: EmbeddingsPlan) {
    const data = plan.texts.map((text, index) => {
      const vector = settings.embed(text, plan.dimensions);
      if (vector.length !== plan.dimensions) {
        throw new Error(`embed() returned ${vector.length} numbers for dimensions=${plan.dimensions}`);
      }
      return { object: 'embedding', index, embedding: plan.format === 'base64' ? float32ToBase64(vector) : Array.from(vector) };
    });
    return { object: 'list', data, model: plan.model, usage: { prompt_tokens: plan.totalTokens, total_tokens: plan.totalTokens } };
  }

  /** Validate a chat request the way the API does and count its prompt tokens. */
  function planChat(spec: ChatModelSpec, body: Record<string, unknown>): ChatPlan {
    const messages = parseChatMessages(body.messages);

    // max_completion_tokens supersedes the deprecated max_tokens.
    const maxParam = body.max_completion_tokens !== undefined && body.max_completion_tokens !== null ? 'max_completion_tokens' : 'max_tokens';
    const maxValue = body[maxParam];
    let maxTokens: number | undefined;
    if (maxValue !== undefined && maxValue !== null) {
      if (typeof maxValue !== 'number' || !Number.isInteger(maxValue)) throw invalidType(maxParam, 'an integer', maxValue);
      if (maxValue < 1) throw integerOutOfRange(maxParam, maxValue, 1, 'min');
      if (maxValue > spec.maxOutputTokens) throw maxTokensTooLarge(maxParam, maxValue, spec.maxOutputTokens);
      maxTokens = maxValue;
    }

    const stream = body.stream === true;
    const streamOptions = body.stream_options;
    if (streamOptions !== undefined && streamOptions !== null && !stream) {
      throw invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
    }
    const includeUsage = stream && isRecord(streamOptions) && streamOptions.include_usage === true;

    checkResponseFormat(body.response_format, messages);

    const promptTokens = countPromptTokens(messages, spec.encoding);
    if (promptTokens + (maxTokens ?? 0) > spec.contextWindow) throw contextLengthExceeded(spec.contextWindow, promptTokens, maxTokens);

    return {
      id: `chatcmpl-${randomBytes(15).toString('base64url')}`,
      created: Math.floor(Date.now() / 1000),
      model: spec.id,
      messages,
      promptTokens,
      // Without a limit the reply may fill the rest of the window, up to the model's output cap.
      completionLimit: maxTokens ?? Math.min(spec.maxOutputTokens, spec.contextWindow - promptTokens),
      // OpenAI charges the requested completion against TPM up front.
      rateLimitTokens: promptTokens + (maxTokens ?? 0),
      stream,
      includeUsage,
    };
  }

  /** The reply of `respond`, truncated to the completion limit like a model cut off by `max_tokens`. */
  function composeReply(spec: ChatModelSpec, body: Record<string, unknown>, plan: ChatPlan): ChatReply {
    const reply = settings.respond(
      plan.messages.map(({ role, content }) => ({ role, content })),
      spec.id,
      body,
    );
    const tokens = spec.encoding.encode(reply);
    const truncated = tokens.length > plan.completionLimit;
    return {
      content: truncated ? spec.encoding.decode(tokens.slice(0, plan.completionLimit)) : reply,
      finishReason: truncated ? 'length' : 'stop',
      completionTokens: Math.min(tokens.length, plan.completionLimit),
    };
  }

  async function streamChat(res: ServerResponse, plan: ChatPlan, reply: ChatReply): Promise<void> {
    const chunk = (choices: unknown[], usage?: unknown): string =>
      `data: ${JSON.stringify({
        id: plan.id,
        object: 'chat.completion.chunk',
        created: plan.created,
        model: plan.model,
        service_tier: 'default',
        system_fingerprint: SYSTEM_FINGERPRINT,
        choices,
        ...(plan.includeUsage ? { usage: usage ?? null } : {}),
      })}\n\n`;
    const delta = (d: Record<string, unknown>, finishReason: string | null = null): unknown[] => [
      { index: 0, delta: d, logprobs: null, finish_reason: finishReason },
    ];
    const write = async (text: string, pause: boolean): Promise<void> => {
      if (res.destroyed) throw new ServerClosed();
      res.write(text);
      if (pause) await sleep(settings.streamDelayMs);
    };

    await write(chunk(delta({ role: 'assistant', content: '', refusal: null })), true);
    // One chunk per word, leading whitespace attached, so the pieces concatenate to the reply exactly.
    for (const piece of reply.content.match(/\s*\S+|\s+$/g) ?? []) await write(chunk(delta({ content: piece })), true);
    await write(chunk(delta({}, reply.finishReason)), false);
    if (plan.includeUsage) await write(chunk([], usageObject(plan, reply)), false);
    await write('data: [DONE]\n\n', false);
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${settings.host}:${port}/v1`,
    port,
    requests,
    injectFaults(...faults: StandInFault[]): void {
      scriptedFaults.push(...faults);
    },
    close(): Promise<void> {
      closing.abort();
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive sockets (the SDK's fetch keeps them) and open streams would hold close() forever.
        server.closeAllConnections();
      });
    },
  };
}

const SYSTEM_FINGERPRINT = 'fp_standin';

/** A validated embeddings request. */
interface EmbeddingsPlan {
  model: string;
  /** The inputs as text (token arrays decoded). */
  texts: string[];
  dimensions: number;
  format: 'float' | 'base64';
  totalTokens: number;
}

/** A validated chat request. */
interface ChatPlan {
  id: string;
  created: number;
  model: string;
  messages: PlainMessage[];
  promptTokens: number;
  /** Most completion tokens the reply may have. */
  completionLimit: number;
  rateLimitTokens: number;
  stream: boolean;
  includeUsage: boolean;
}

/** The assistant's answer to a chat request. */
interface ChatReply {
  content: string;
  finishReason: 'stop' | 'length';
  completionTokens: number;
}

function usageObject(plan: ChatPlan, reply: ChatReply) {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: reply.completionTokens,
    total_tokens: plan.promptTokens + reply.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function chatCompletion(plan: ChatPlan, reply: ChatReply) {
  return {
    id: plan.id,
    object: 'chat.completion',
    created: plan.created,
    model: plan.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: reply.content, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: reply.finishReason,
      },
    ],
    usage: usageObject(plan, reply),
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

type Route = { name: 'models' } | { name: 'model'; id: string } | { name: 'embeddings' } | { name: 'chat' } | { name: 'moderations' } | { name: 'rerank' };

function matchRoute(method: string, path: string): Route | undefined {
  if (method === 'POST' && path === '/v1/embeddings') return { name: 'embeddings' };
  if (method === 'POST' && path === '/v1/chat/completions') return { name: 'chat' };
  if (method === 'POST' && path === '/v1/moderations') return { name: 'moderations' };
  // Not OpenAI's: the Cohere/Jina-style rerank endpoint, for ragline's HTTP reranker.
  if (method === 'POST' && path === '/v1/rerank') return { name: 'rerank' };
  if (method === 'GET' && path === '/v1/models') return { name: 'models' };
  const model = /^\/v1\/models\/([^/]+)$/.exec(path);
  if (method === 'GET' && model?.[1] !== undefined) return { name: 'model', id: decodeURIComponent(model[1]) };
  return undefined;
}

/** The `/v1/models` entry of a model. */
function modelObject(spec: ModelSpec) {
  return { id: spec.id, object: 'model', created: 1_686_935_002, owned_by: spec.kind === 'embedding' ? 'openai-internal' : 'system' };
}

/** The body as text, or `undefined` when it exceeds `MAX_BODY_BYTES`. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The embeddings `input` as a list of strings and token arrays. The API accepts a string, an
 * array of strings, an array of token ids, or an array of token arrays, at most 2048 of them,
 * none empty; anything else gets the API's uninformative "'$.input' is invalid".
 */
function parseEmbeddingInputs(input: unknown): Array<string | number[]> {
  if (input === undefined || input === null) throw missingParameter('input');
  const isTokenArray = (value: unknown): value is number[] =>
    Array.isArray(value) && value.length > 0 && value.every((token) => Number.isInteger(token) && token >= 0);
  let inputs: Array<string | number[]>;
  if (typeof input === 'string') inputs = [input];
  else if (isTokenArray(input)) inputs = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string')) inputs = input as string[];
  else if (Array.isArray(input) && input.length > 0 && input.every(isTokenArray)) inputs = input as number[][];
  else throw invalidEmbeddingInput();
  if (inputs.length > EMBEDDING_LIMITS.maxInputs || inputs.some((item) => item.length === 0)) throw invalidEmbeddingInput();
  return inputs;
}

/** Token arrays are embedded as the text they stand for; ids outside the vocabulary are invalid. */
function decodeTokens(tokens: number[]): string {
  try {
    return CL100K.decode(tokens);
  } catch {
    throw invalidEmbeddingInput();
  }
}

/** Chat messages reduced to role, text content and name, validated like the API does. */
function parseChatMessages(value: unknown): PlainMessage[] {
  if (value === undefined || value === null) throw missingParameter('messages');
  if (!Array.isArray(value)) throw invalidType('messages', 'an array of objects', value);
  if (value.length === 0) {
    throw invalidRequest(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  }
  return value.map((message: unknown, i) => {
    if (!isRecord(message)) throw invalidType(`messages[${i}]`, 'an object', message);
    const role = message.role;
    if (typeof role !== 'string') throw missingParameter(`messages[${i}].role`);
    if (!CHAT_ROLES.has(role)) {
      throw invalidRequest(
        `Invalid value: '${role}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${i}].role`,
        'invalid_value',
      );
    }
    const content = message.content;
    let text: string;
    if (typeof content === 'string') text = content;
    else if (Array.isArray(content)) {
      // Multi-part content: the text parts count; images and audio are out of the stand-in's scope.
      text = content.map((part: unknown) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
    } else if ((content === undefined || content === null) && role === 'assistant') text = '';
    else throw missingParameter(`messages[${i}].content`);
    const name = typeof message.name === 'string' ? message.name : undefined;
    return name === undefined ? { role, content: text } : { role, content: text, name };
  });
}

/** `response_format` is accepted in its three real shapes; the reply content is `respond`'s business. */
function checkResponseFormat(format: unknown, messages: readonly PlainMessage[]): void {
  if (format === undefined || format === null) return;
  if (!isRecord(format)) throw invalidType('response_format', 'an object', format);
  switch (format.type) {
    case 'text':
      return;
    case 'json_object':
      if (!messages.some((message) => /json/i.test(message.content))) {
        throw invalidRequest(
          "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
          'messages',
        );
      }
      return;
    case 'json_schema':
      if (!isRecord(format.json_schema)) throw missingParameter('response_format.json_schema');
      if (typeof format.json_schema.name !== 'string') throw missingParameter('response_format.json_schema.name');
      return;
    default:
      throw invalidRequest(
        `Invalid value: '${String(format.type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
        'response_format.type',
        'invalid_value',
      );
  }
}
