/** The JSON API: `/api/ask` (JSON or server-sent events), `/api/search`, `/api/collections`, `/healthz`. */
import { search } from '../core/search.js';
import { ASK_DEFAULTS, SEARCH_DEFAULTS } from '../options/defaults.js';
import type { ChatModel } from '../models/spec.js';
import { answerEvents, withoutReranker, type AnswerContext, type RequestRetrieval } from './answer.js';
import { checkHistory, checkQuestion, type InputLimits } from './conversation.js';
import type { Gate } from './gate.js';
import { HttpError, decodePathPart, errorBody, readJsonObject, sendJson, startEventStream, toHttpError, writeEvent } from './http.js';
import type { RequestContext, Router } from './router.js';
import type { ServedCollections } from './served.js';
import type { Refresher } from './refresh.js';
import type { IncomingMessage } from 'node:http';
import { parseCondition, type MetadataCondition } from '../retrieval/metadata-conditions.js';

/** What the API routes need. */
export interface ApiContext extends AnswerContext {
  limits: InputLimits & { maxBodyBytes: number; maxK: number };
  defaultCollection: string;
  searchGate: Gate;
  /** The collections served, and whether each can be answered for. */
  served: ServedCollections;
  /** Re-crawls of served collections. */
  refresher: Refresher;
  /** Throw 403 unless the request may run admin actions. */
  checkAdmin(req: IncomingMessage): void;
  /** The chat model for a request. */
  chatFor(modelId?: string): ChatModel;
}

const bad = (message: string) => new HttpError(400, 'invalid_request_error', message);

/** Check `k`: an integer from 1 to `max`, or the default. */
export function checkK(value: unknown, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) throw bad(`\`k\` must be an integer from 1 to ${max}.`);
  return value;
}

/** Check `filter`: an object of metadata that chunks must contain, or none. */
export function checkFilter(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw bad('`filter` must be an object of metadata to match, like {"product": "api"}.');
  return value as Record<string, unknown>;
}

/** Check `efSearch`: an integer in pgvector's range, or none (the collection's own). */
export function checkEfSearch(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) throw bad('`efSearch` must be an integer from 1 to 1000.');
  return value;
}

/** Check `where`: filter expressions (`"year>=2024"`, `"product in api,cli"`), parsed; or none. */
export function checkWhere(value: unknown): MetadataCondition[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw bad('`where` must be an array of filter expressions, like ["year>=2024", "product in api,cli"].');
  try {
    return (value as string[]).map(parseCondition);
  } catch (err) {
    throw bad(`\`where\`: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `filter`, `efSearch`, `where`, `maxPerPage` and `keepNoisePages` of a request body, as options of `search` and `askStream`. */
export function retrievalOptions(body: Record<string, unknown>): RequestRetrieval {
  const filter = checkFilter(body.filter);
  const efSearch = checkEfSearch(body.efSearch);
  const where = checkWhere(body.where);
  const { maxPerPage, keepNoisePages } = body;
  if (maxPerPage !== undefined && (typeof maxPerPage !== 'number' || !Number.isInteger(maxPerPage) || maxPerPage < 0 || maxPerPage > 1000)) throw bad('`maxPerPage` must be an integer from 0 (no cap) to 1000.');
  if (keepNoisePages !== undefined && typeof keepNoisePages !== 'boolean') throw bad('`keepNoisePages` must be true or false.');
  if (body.rerank !== undefined && typeof body.rerank !== 'boolean') throw bad('`rerank` must be true or false (false: no reranker for this request).');
  return {
    ...(filter ? { filter } : {}),
    ...(efSearch !== undefined ? { efSearch } : {}),
    ...(where ? { where } : {}),
    ...(maxPerPage !== undefined ? { maxPerPage } : {}),
    ...(keepNoisePages !== undefined ? { keepNoisePages } : {}),
    ...(typeof body.rerank === 'boolean' ? { rerank: body.rerank } : {}),
  };
}

export function checkCollection(value: unknown, fallback: string): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || value.length === 0) throw bad('`collection` must be a collection name (see GET /api/collections).');
  return value;
}

const wantsEventStream = (accept: string | undefined) => /\btext\/event-stream\b/i.test(accept ?? '');

export function registerApiRoutes(router: Router, api: ApiContext): void {
  router.on('GET', '/healthz', async ({ res }) => {
    try {
      await api.db.pool.query('SELECT 1');
    } catch (err) {
      const e = new HttpError(503, 'database_unavailable', `The database does not answer: ${(err as Error).message}`, { cause: err });
      sendJson(res, 503, { status: 'unavailable', database: api.db.kind, ...errorBody(e) });
      return;
    }
    sendJson(res, 200, { status: 'ok', database: api.db.kind, answers: { running: api.gate.active, waiting: api.gate.queued } });
  });

  router.on('GET', '/api/collections', async ({ res }) => {
    const collections = await api.served.list();
    sendJson(res, 200, {
      default: api.defaultCollection,
      collections: collections.map((c) => ({
        name: c.name,
        documents: c.documents,
        chunks: c.chunks,
        tokens: c.tokens,
        embeddingModel: `${c.embeddingProvider}/${c.embeddingModel}`,
        dimensions: c.dimensions,
        createdAt: c.createdAt,
        ...withProblem(api.served.problemOf(c)),
      })),
    });
  });

  registerCollectionRoutes(router, api);

  router.on('POST', '/api/search', async ({ req, res, signal }) => {
    const body = await readJsonObject(req, api.limits.maxBodyBytes);
    const query = checkQuestion(body.query ?? body.question, api.limits, 'query');
    const collection = checkCollection(body.collection, api.defaultCollection);
    const k = checkK(body.k, api.limits.maxK, SEARCH_DEFAULTS.k);
    const mode = body.mode ?? 'hybrid';
    if (mode !== 'hybrid' && mode !== 'vector' && mode !== 'keyword') throw bad('`mode` must be "hybrid", "vector" or "keyword".');
    const retrieval = retrievalOptions(body);
    await api.served.require(collection);
    const release = await api.searchGate.acquire(signal);
    try {
      const { rerank, ...own } = retrieval;
      const results = await search({ db: api.db, collection, query, k, mode, ...withoutReranker(api.search, rerank), ...own, connection: api.connection, ...(api.embedding ? { embedding: api.embedding } : {}), signal });
      sendJson(res, 200, {
        results: results.map((r) => ({ url: r.url, title: r.title, headingPath: r.headingPath, text: r.text, score: r.score, metadata: r.metadata })),
      });
    } finally {
      release();
    }
  });

  router.on('POST', '/api/ask', async (ctx) => {
    const body = await readJsonObject(ctx.req, api.limits.maxBodyBytes);
    const question = checkQuestion(body.question, api.limits);
    const history = checkHistory(body.history, api.limits);
    const collection = checkCollection(body.collection, api.defaultCollection);
    const k = checkK(body.k, api.limits.maxK, ASK_DEFAULTS.k);
    const retrieval = retrievalOptions(body);
    await api.served.require(collection);
    const events = answerEvents(api, { question, history, collection, k, ...retrieval, chat: api.chatFor(), signal: ctx.signal });
    if (wantsEventStream(ctx.req.headers.accept)) await streamAnswer(ctx, events);
    else {
      let asked = question;
      for await (const event of events) {
        if (event.type === 'sources') asked = event.question;
        if (event.type === 'done') {
          sendJson(ctx.res, 200, { answer: event.answer, sources: event.sources, question: asked, finishReason: event.finishReason, ...(event.usage ? { usage: event.usage } : {}) });
        }
      }
    }
  });
}

/**
 * `GET /api/collections/{name}`: the collection's counts and refresh state;
 * `POST /api/collections/{name}/refresh`: start a re-crawl now (202; 409 when one is queued or running).
 */
function registerCollectionRoutes(router: Router, api: ApiContext): void {
  const PREFIX = '/api/collections/';
  router.under('GET', PREFIX, async ({ res, url }) => {
    const name = decodePathPart(url.pathname.slice(PREFIX.length));
    const found = api.served.isServed(name) ? (await api.served.list()).find((c) => c.name === name) : undefined;
    if (!found) throw new HttpError(404, 'not_found_error', `No collection named "${name}" is served here (see GET /api/collections).`);
    sendJson(res, 200, {
      name: found.name,
      documents: found.documents,
      chunks: found.chunks,
      tokens: found.tokens,
      embeddingModel: `${found.embeddingProvider}/${found.embeddingModel}`,
      dimensions: found.dimensions,
      createdAt: found.createdAt,
      ...withProblem(api.served.problemOf(found)),
      refresh: await api.refresher.status(found),
    });
  });
  router.under('POST', PREFIX, async ({ req, res, url }) => {
    const match = /^([^/]+)\/refresh$/.exec(url.pathname.slice(PREFIX.length));
    if (!match) throw new HttpError(404, 'not_found_error', `No route for POST ${url.pathname}: use POST ${PREFIX}{name}/refresh.`);
    api.checkAdmin(req);
    const collection = await api.served.require(decodePathPart(match[1]!));
    await api.refresher.request(collection);
    sendJson(res, 202, { collection: collection.name, refresh: await api.refresher.status(collection) });
  });
}

/** `{ unavailable: reason }` for a collection the server cannot answer for, else nothing. */
const withProblem = (problem: string | undefined) => (problem ? { unavailable: problem } : {});

type Events = ReturnType<typeof answerEvents>;

/**
 * The answer as server-sent events: `sources` (with the standalone `question`), then one `token`
 * event per piece of text, then `done` with the full answer and the sources marked as cited — or
 * `error` if the answer fails midway.
 */
async function streamAnswer({ res, signal }: RequestContext, events: Events): Promise<void> {
  // Refusals (moderation, busy, unknown collection) happen before the first event: still JSON.
  const first = await events.next();
  startEventStream(res);
  let question = '';
  try {
    if (!first.done && first.value.type === 'sources') {
      question = first.value.question;
      writeEvent(res, { question, sources: first.value.sources }, 'sources');
    }
    for await (const event of events) {
      if (event.type === 'text') writeEvent(res, { text: event.text }, 'token');
      else if (event.type === 'done') {
        writeEvent(res, { answer: event.answer, sources: event.sources, question, finishReason: event.finishReason, ...(event.usage ? { usage: event.usage } : {}) }, 'done');
      }
    }
  } catch (err) {
    if (signal.aborted) return; // the client left: nobody to tell
    writeEvent(res, errorBody(toHttpError(err)), 'error');
  } finally {
    res.end();
  }
}
