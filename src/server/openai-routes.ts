/**
 * An OpenAI-compatible face: `POST /v1/chat/completions` (streamed or not) and `GET /v1/models`,
 * so any OpenAI client or chat UI can talk to the bot. A model name is a collection, or
 * `collection:chat-model` to pick the chat model too. The last user message is the question,
 * earlier user and assistant messages are the history, and system messages are ignored (the
 * bot's own prompt keeps retrieved text as data). Non-standard body fields (an SDK's `extra_body`)
 * tune retrieval as on `/api/ask`: `k`, `filter` (metadata chunks must contain), `efSearch`.
 *
 * Sources are appended in two forms: a final block in the content,
 *
 *     Sources:
 *     - [1] Page title — https://example.com/page
 *
 * listing the sources the answer cites (all the sources it was given when it cites none), and a
 * non-standard `sources` field with the full list: on the completion, and in a stream on the first
 * chunk (before any text, with every source the model sees) and on the last (marked as cited).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { AnswerSource } from '../core/pack-context.js';
import { ASK_DEFAULTS } from '../options/defaults.js';
import type { ChatModel } from '../models/spec.js';
import { getTokenizer } from '../models/tokenizer.js';
import { answerEvents, type AnswerRequest, type ServerAskEvent } from './answer.js';
import { checkHistory, checkQuestion, type HistoryMessage } from './conversation.js';
import { checkK, retrievalOptions, type ApiContext } from './api-routes.js';
import { describeValue } from '../errors.js';
import { HttpError, decodePathPart, errorBody, readJsonObject, sendJson, startEventStream, toHttpError, writeEvent } from './http.js';
import type { Router } from './router.js';

/** The block of sources appended to an answer's content. */
export function sourcesBlock(sources: readonly AnswerSource[]): string {
  const cited = sources.filter((s) => s.cited);
  const shown = cited.length > 0 ? cited : sources;
  if (shown.length === 0) return '';
  return `\n\nSources:\n${shown.map((s) => `- [${s.number}] ${s.title} — ${s.url}`).join('\n')}`;
}

/** The public form of a source in the `sources` field. */
const publicSource = (s: AnswerSource) => ({ number: s.number, url: s.url, title: s.title, score: s.score, ...(s.cited === undefined ? {} : { cited: s.cited }) });

const bad = (message: string) => new HttpError(400, 'invalid_request_error', message);

/** Text of a message's content: a string, or the text parts of a multi-part content. */
function textOf(content: unknown, i: number): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part: unknown) => (typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string' ? (part as { text: string }).text : '')).join('');
  }
  if (content === null || content === undefined) return '';
  throw bad(`\`messages[${i}].content\` must be a string or an array of content parts.`);
}

/** The question (last user message) and the history (earlier user and assistant messages). */
function parseMessages(value: unknown): { question: unknown; history: HistoryMessage[] } {
  if (!Array.isArray(value) || value.length === 0) throw bad('`messages` must be a non-empty array.');
  const turns: HistoryMessage[] = [];
  value.forEach((m: unknown, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad(`\`messages[${i}]\` must be an object {role, content}, got ${describeValue(m)}.`);
    const { role, content: raw } = m as { role?: unknown; content?: unknown };
    const content = textOf(raw, i);
    if (role === 'user' || role === 'assistant') turns.push({ role, content });
  });
  const last = turns.at(-1);
  if (!last || last.role !== 'user') throw bad('The last message must be a user message: it is the question.');
  return { question: last.content, history: turns.slice(0, -1) };
}

/** Serve `GET /v1/models`, `GET /v1/models/{id}` and `POST /v1/chat/completions` from `api`. */
export function registerOpenAIRoutes(router: Router, api: ApiContext): void {
  router.on('GET', '/v1/models', async ({ res }) => {
    const collections = await api.served.list();
    sendJson(res, 200, {
      object: 'list',
      data: collections.map((c) => ({ id: c.name, object: 'model', created: Math.floor(new Date(c.createdAt).getTime() / 1000), owned_by: 'ragline' })),
    });
  });

  router.under('GET', '/v1/models/', async ({ res, url }) => {
    const id = decodePathPart(url.pathname.slice('/v1/models/'.length));
    const colon = id.indexOf(':');
    const name = colon < 0 ? id : id.slice(0, colon);
    const found = (await api.served.list()).find((c) => c.name === name);
    // A chat model the server does not allow is no model of its either (400, naming those allowed).
    if (found && colon >= 0) api.chatFor(id.slice(colon + 1));
    if (!found) throw new HttpError(404, 'invalid_request_error', `The model '${id}' does not exist: models are collections (see GET /v1/models).`);
    sendJson(res, 200, { id, object: 'model', created: Math.floor(new Date(found.createdAt).getTime() / 1000), owned_by: 'ragline' });
  });

  router.on('POST', '/v1/chat/completions', async ({ req, res, signal }) => {
    const body = await readJsonObject(req, api.limits.maxBodyBytes);
    const request = completionRequest(api, body);
    await api.served.require(request.answer.collection);
    const completion: Completion = {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      chat: request.answer.chat,
      includeUsage: request.includeUsage,
    };
    const events = answerEvents(api, { ...request.answer, signal });
    if (request.stream) await streamCompletion(res, events, completion, signal);
    else await sendCompletion(res, events, completion);
  });
}

/** A checked `/v1/chat/completions` request. */
interface CompletionRequest {
  /** The model name as the client sent it (echoed in the answer). */
  model: string;
  /** The question to answer, but for the request's signal. */
  answer: Omit<AnswerRequest, 'signal'>;
  stream: boolean;
  /** Whether a stream ends with a usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
}

/** Check a `/v1/chat/completions` body (400 `invalid_request_error` naming the field at fault). */
function completionRequest(api: ApiContext, body: Record<string, unknown>): CompletionRequest {
  if (typeof body.model !== 'string' || body.model.length === 0) throw bad('`model` must be a collection name, or `collection:chat-model` (see GET /v1/models).');
  const colon = body.model.indexOf(':');
  const collection = colon < 0 ? body.model : body.model.slice(0, colon);
  const chat = api.chatFor(colon < 0 ? undefined : body.model.slice(colon + 1));
  const parsed = parseMessages(body.messages);
  const question = checkQuestion(parsed.question, api.limits, 'the last user message');
  const history = checkHistory(parsed.history, api.limits);
  // Non-standard fields, as an SDK's `extra_body` sends them: `k`, `filter`, `efSearch`.
  const k = checkK((body as { k?: unknown }).k, api.limits.maxK, ASK_DEFAULTS.k);
  const retrieval = retrievalOptions(body);
  const stream = body.stream === true;
  const includeUsage = stream && (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  return { model: body.model, answer: { question, history, collection, k, ...retrieval, chat }, stream, includeUsage };
}

/** What every completion object and chunk of one answer repeats. */
interface Completion {
  id: string;
  created: number;
  model: string;
  /** The model that answers, whose tokenizer counts usage the provider did not report. */
  chat: ChatModel;
  includeUsage: boolean;
}

/** Answer with one `chat.completion` object once the answer is done. */
async function sendCompletion(res: ServerResponse, events: AsyncGenerator<ServerAskEvent>, completion: Completion): Promise<void> {
  const { id, created, model, chat } = completion;
  for await (const event of events) {
    if (event.type !== 'done') continue;
    const sources = event.sources.map(publicSource);
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: event.answer + sourcesBlock(event.sources), refusal: null }, logprobs: null, finish_reason: event.finishReason === 'length' ? 'length' : 'stop' }],
      usage: usage(event.usage, event.promptTokens, event.answer, chat),
      sources,
    });
  }
}

/** Answer with a stream of `chat.completion.chunk` events, ended by `[DONE]`. */
async function streamCompletion(res: ServerResponse, events: AsyncGenerator<ServerAskEvent>, completion: Completion, signal: AbortSignal): Promise<void> {
  const { id, created, model, chat, includeUsage } = completion;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  // Refusals happen before the first event, and are answered with their status code.
  const first = await events.next();
  startEventStream(res);
  try {
    const sources = !first.done && first.value.type === 'sources' ? first.value.sources : [];
    writeEvent(res, chunk({ role: 'assistant', content: '' }, null, { sources: sources.map(publicSource) }));
    for await (const event of events) {
      if (event.type === 'text') writeEvent(res, chunk({ content: event.text }));
      else if (event.type === 'done') {
        const block = sourcesBlock(event.sources);
        if (block) writeEvent(res, chunk({ content: block }));
        writeEvent(res, chunk({}, event.finishReason === 'length' ? 'length' : 'stop', { sources: event.sources.map(publicSource) }));
        if (includeUsage) writeEvent(res, { id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage(event.usage, event.promptTokens, event.answer, chat) });
      }
    }
    writeEvent(res, '[DONE]');
  } catch (err) {
    if (signal.aborted) return; // the client left: nobody to tell
    // The OpenAI stream format has no error event: SDKs raise an error for a chunk with `error`.
    writeEvent(res, errorBody(toHttpError(err)));
  } finally {
    res.end();
  }
}

/** Usage as the provider reported it, else counted with the chat model's tokenizer. */
function usage(u: { inputTokens: number; outputTokens: number } | undefined, promptTokens: number, answer: string, chat: ChatModel) {
  const prompt = u?.inputTokens ?? promptTokens;
  const completion = u?.outputTokens ?? getTokenizer(chat.encoding).count(answer);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}
