/**
 * `ragline serve`: the Q&A bot over HTTP, on node:http with a small router. One database pool,
 * one model client, bounded queues in front of the model and the searches, API keys and per-key
 * rate limits, and every client disconnect cancelling its work down to the model call.
 */
import type { SearchOptions } from '../retrieval/types.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';
import { ConfigError } from '../errors.js';
import { checkInteger } from '../options/check.js';
import { DEFAULT_COLLECTION, SERVER_DEFAULTS } from '../options/defaults.js';
import type { ChatModel } from '../models/spec.js';
import type { OpenAIConnectionOptions } from '../models/openai/client.js';
import type { Database } from '../store/database.js';
import type { EmbeddingChoice } from '../core/search.js';
import { registerApiRoutes, type ApiContext } from './api-routes.js';
import { KeyChecker, isLoopbackHost } from './auth.js';
import { ChatModelCache } from './chat-models.js';
import { Dispatcher } from './dispatcher.js';
import { Gate } from './gate.js';
import { registerOpenAIRoutes } from './openai-routes.js';
import { registerPage } from './page.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { Router } from './router.js';
import { SiteGuard } from './site-guard.js';
import { ServedCollections, type UnservableCollection } from './served.js';
import { Refresher, type RefreshOptions } from './refresh.js';

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** The open database; the server uses its pool and does not close it. */
  db: Database;
  /** The chat model that answers. */
  chat: ChatModel;
  /**
   * The chat model for a `collection:chat-model` name on `/v1/chat/completions`. Without it, only
   * `chat`'s own id is accepted there.
   */
  resolveChat?: (modelId: string) => ChatModel;
  /**
   * Chat model ids a caller may pick (`collection:chat-model`) besides `chat`'s own; others get
   * 400. `'*'` allows any that `resolveChat` builds.
   * @default [] (only `chat`)
   */
  allowedChatModels?: readonly string[];
  /**
   * The collections served, the first being the default; every other answers 404 on every route.
   * @default every collection in the store
   */
  collections?: readonly string[];
  /**
   * Keys that are API keys and may also run admin actions (`POST /api/collections/{name}/refresh`).
   * With no keys at all, admin actions are allowed from loopback only.
   * @default []
   */
  adminKeys?: readonly string[];
  /** Re-crawl the served crawled collections on a schedule (`everyMs`) and on request. */
  refresh?: RefreshOptions;
  /** How embeddings of questions reach the API (pass one shared `client`). */
  connection?: OpenAIConnectionOptions;
  /**
   * The embedding model of each served collection's questions, or a function that picks it per
   * collection (undefined: the default). Checked against the model the collection was built with.
   * @default rebuilt from the collection's stored provider and model through the provider registry
   */
  embedding?: EmbeddingChoice;
  /**
   * Retrieval settings of every search and answer (a `reranker`, `maxPerPage`, `keepNoisePages`, ...);
   * a request's own fields override them, and `"rerank": false` in a request turns the reranker off.
   * @default the library's defaults, no reranker
   */
  search?: Omit<SearchOptions, 'k' | 'filter' | 'efSearch'>;
  /**
   * TCP port; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on. Anything but loopback requires `apiKeys`.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Keys accepted as `Authorization: Bearer <key>` on `/api/*` and `/v1/*`. When empty, no key is
   * asked for, which is only allowed on loopback.
   * @default []
   */
  apiKeys?: readonly string[];
  /**
   * Per-client (per key, else per address) rate limit of `/api/*` and `/v1/*`.
   * @default { requestsPerMinute: 60 }
   */
  rateLimit?: RateLimitOptions;
  /**
   * Largest request body, in bytes.
   * @default 65536
   */
  maxBodyBytes?: number;
  /**
   * Longest question, in characters (history turns may be 4 times longer).
   * @default 2000
   */
  maxQuestionChars?: number;
  /**
   * Most history messages a follow-up may carry.
   * @default 20
   */
  maxHistoryMessages?: number;
  /**
   * Largest `k` a client may ask for.
   * @default 50
   */
  maxK?: number;
  /**
   * Answers generated at once; more wait in a queue.
   * @default 8
   */
  maxConcurrentAnswers?: number;
  /**
   * Answers waiting for a slot; beyond this, requests get 503 with `retry-after`.
   * @default 32
   */
  maxQueuedAnswers?: number;
  /**
   * Searches run at once (each holds a database connection and an embedding call).
   * @default 16
   */
  maxConcurrentSearches?: number;
  /** @default 64 */
  maxQueuedSearches?: number;
  /**
   * Chat models named by clients (`collection:chat-model`) kept built for the next request; the
   * least recently used are let go beyond this.
   * @default 16
   */
  maxCachedChatModels?: number;
  /**
   * Origins allowed to call the API from a browser (`*` for any). CORS is off when empty, and a
   * browser request from any other origin than the server's own pages is refused with 403.
   * @default []
   */
  corsOrigins?: readonly string[];
  /**
   * Host names (as in the `Host` header, without the port) the server answers to besides its
   * loopback names (`localhost`, `127.0.0.1`, `::1`) and the address it listens on (every
   * interface's address when that is `0.0.0.0` or `::`); `*` for any. Requests for other names
   * get 403, so that a web page cannot reach the server through DNS rebinding. Add the names
   * clients use, e.g. a reverse proxy's.
   * @default []
   */
  allowedHosts?: readonly string[];
  /**
   * A client for the moderation endpoint: when set, every question is moderated first and a
   * flagged one is refused with 400 `content_policy_violation`.
   */
  moderation?: OpenAI;
  /**
   * Collection used when a request names none.
   * @default 'default'
   */
  defaultCollection?: string;
  /**
   * Where to write one line per request (method, path, status, time, client fingerprint). Keys
   * and bodies are never logged.
   * @default no logging
   */
  log?: (line: string) => void;
}

/** A running server. */
export interface RaglineServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Served collections that exist but cannot be answered for here (they answer 503), with the reason. */
  readonly unservable: readonly UnservableCollection[];
  /** Collections given in `collections` that are not in the store (yet). */
  readonly missingCollections: readonly string[];
  /** Stop accepting requests, cancel those in flight, and close the connections. The database stays open. */
  close(): Promise<void>;
}

type ServerLimit = 'maxCachedChatModels' | 'maxBodyBytes' | 'maxQuestionChars' | 'maxHistoryMessages' | 'maxK' | 'maxConcurrentAnswers' | 'maxQueuedAnswers' | 'maxConcurrentSearches' | 'maxQueuedSearches';

/** One of the server's limits, defaulted and checked. */
function limitOf(options: ServerOptions, name: ServerLimit, min: number): number {
  return checkInteger(name, options[name] ?? SERVER_DEFAULTS[name], { min });
}

/** Check the options and refuse an unsafe setup: the server beyond loopback without API keys, short keys, allowed hosts that are no host names. */
export function checkServerOptions(options: Pick<ServerOptions, 'host' | 'apiKeys' | 'allowedHosts' | 'adminKeys'>): void {
  const host = options.host ?? SERVER_DEFAULTS.host;
  const keys = [...(options.apiKeys ?? []), ...(options.adminKeys ?? [])];
  const badHost = (options.allowedHosts ?? []).find((h) => typeof h !== 'string' || h.trim() === '' || /[\s/@]/.test(h));
  if (badHost !== undefined) throw new ConfigError('allowedHosts', badHost, 'Every allowed host must be a host name as clients type it, like "rag.example.com" (or "*" for any).');
  if (keys.some((k) => typeof k !== 'string' || k.length < 16)) {
    throw new ConfigError('apiKeys', '(hidden)', 'Every API key must be a string of at least 16 characters (e.g. `openssl rand -hex 24`).');
  }
  if (!isLoopbackHost(host) && keys.length === 0) {
    throw new ConfigError('host', host, `Refusing to listen on ${host} without API keys: anyone who can reach it could spend your model budget. Give \`apiKeys\`, or listen on 127.0.0.1.`);
  }
}

/** Start the server and resolve once it listens. */
export async function startServer(options: ServerOptions): Promise<RaglineServer> {
  checkServerOptions(options);
  const host = options.host ?? SERVER_DEFAULTS.host;
  const keys = new KeyChecker(options.apiKeys ?? [], options.adminKeys ?? []);
  const limiter = new RateLimiter(options.rateLimit ?? {});
  const cors = new Set(options.corsOrigins ?? []);
  const served = new ServedCollections(options.db, options.collections, options.embedding, options.connection ?? {});
  const refresher = new Refresher(options.db, served, options.embedding, options.connection ?? {}, options.refresh);
  const api = apiContext(options, served, refresher, keys);
  const [unservable, missingCollections] = await Promise.all([served.unservable(), served.missing()]);

  const router = new Router();
  registerPage(router);
  registerApiRoutes(router, api);
  registerOpenAIRoutes(router, api);
  const guard = new SiteGuard(host, options.allowedHosts ?? [], cors);
  const dispatcher = new Dispatcher(router, keys, limiter, cors, guard, options.log);

  const server = createServer((req, res) => {
    dispatcher.handle(req, res).catch(() => res.destroy());
  });
  // Keep-alive connections from SDKs idle between requests; do not let them pile up.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;

  const address = await listen(server, options.port ?? 0, host);
  refresher.start();
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    host,
    unservable,
    missingCollections,
    async close() {
      dispatcher.cancelAll();
      await Promise.all([
        refresher.close(),
        new Promise<void>((resolve, reject) => {
          server.close((err) => (err ? reject(err) : resolve()));
          server.closeAllConnections();
        }),
      ]);
    },
  };
}

/** What the routes share: the database, the gates in front of answers and searches, the limits. */
function apiContext(options: ServerOptions, served: ServedCollections, refresher: Refresher, keys: KeyChecker): ApiContext {
  const chats = new ChatModelCache(options, limitOf(options, 'maxCachedChatModels', 1));
  return {
    db: options.db,
    connection: options.connection ?? {},
    ...(options.embedding ? { embedding: options.embedding } : {}),
    ...(options.search ? { search: options.search } : {}),
    gate: new Gate({ name: 'answers', concurrency: limitOf(options, 'maxConcurrentAnswers', 1), maxQueue: limitOf(options, 'maxQueuedAnswers', 0) }),
    searchGate: new Gate({ name: 'searches', concurrency: limitOf(options, 'maxConcurrentSearches', 1), maxQueue: limitOf(options, 'maxQueuedSearches', 0) }),
    ...(options.moderation ? { moderation: options.moderation } : {}),
    limits: {
      maxBodyBytes: limitOf(options, 'maxBodyBytes', 1),
      maxQuestionChars: limitOf(options, 'maxQuestionChars', 1),
      maxHistoryMessages: limitOf(options, 'maxHistoryMessages', 0),
      maxK: limitOf(options, 'maxK', 1),
    },
    defaultCollection: options.defaultCollection ?? served.names?.[0] ?? DEFAULT_COLLECTION,
    served,
    refresher,
    checkAdmin: (req) => keys.checkAdmin(req),
    chatFor: (modelId) => chats.get(modelId),
  };
}

/** Listen on `host:port` and resolve with the address bound. */
async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
