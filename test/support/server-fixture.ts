/**
 * A Q&A server for tests: a fresh database (embedded or server) holding the demo site ingested
 * through the OpenAI stand-in, the stand-in as the model, and `startServer` on an ephemeral port.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type OpenAI from 'openai';
import { freshDatabase, type Backend } from './databases.js';
import { defaultRespond, startOpenAIStandIn, type OpenAIStandIn, type OpenAIStandInOptions, type StandInChatMessage } from '../stand-in/openai-stand-in.js';
import { serveStatic, type StaticServer } from '../../src/net/static-server.js';
import { ingest } from '../../src/index.js';
import { openAIClient } from '../../src/models/openai/client.js';
import { createOpenAIEmbedding } from '../../src/models/openai/embedding.js';
import { createOpenAIChat } from '../../src/models/openai/chat.js';
import { packageRoot } from '../../src/package-root.js';
import type { Database } from '../../src/store/database.js';
import { startServer, type RaglineServer, type ServerOptions } from '../../src/server/server.js';
import { STANDALONE_SYSTEM_PROMPT } from '../../src/server/conversation.js';
import { parseUserMessage } from '../../src/core/prompt.js';

/** What the stand-in's chat model replies when asked to rewrite a follow-up. */
export const REWRITTEN = 'How many times is a failing job retried with the default settings?';

/**
 * The stand-in's chat replies: the rewrite prompt gets `REWRITTEN`; an answer prompt gets a reply
 * citing source 1 that quotes the question; anything else the stand-in's default reply.
 */
export function respond(messages: StandInChatMessage[]): string {
  if (messages[0]?.content === STANDALONE_SYSTEM_PROMPT) return REWRITTEN;
  const user = [...messages].reverse().find((m) => m.role === 'user');
  if (!user?.content.startsWith('Sources:')) return defaultRespond(messages);
  return `From the documentation [1]. Stand-in reply: ${parseUserMessage(user.content).question}`;
}

export interface ServerFixture {
  db: Database & { drop(): Promise<void> };
  standIn: OpenAIStandIn;
  site: StaticServer;
  client: OpenAI;
  server: RaglineServer;
  /** Restart the server with other options (the database and stand-in stay). */
  restart(options?: Partial<ServerOptions>): Promise<RaglineServer>;
  close(): Promise<void>;
}

/** Start everything; `collections` are ingested from the demo site (first one also from `extraDir`). */
export async function startServerFixture(
  backend: Backend,
  options: { standIn?: OpenAIStandInOptions; server?: Partial<ServerOptions>; collections?: string[] } = {},
): Promise<ServerFixture> {
  const siteDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-serve-site-'));
  await cp(path.join(packageRoot(), 'demo-site'), siteDir, { recursive: true });
  const [db, standIn, site] = await Promise.all([freshDatabase(backend), startOpenAIStandIn({ respond, ...options.standIn }), serveStatic(siteDir)]);
  const client = await openAIClient({ apiKey: 'sk-test', baseURL: standIn.url, maxRetries: 0 });
  const embedding = createOpenAIEmbedding({ client });
  for (const collection of options.collections ?? ['docs']) {
    await ingest({ db, source: site.url, collection, embedding, crawl: { allowPrivateNetwork: true } });
  }
  const chat = createOpenAIChat({ client, model: 'gpt-4o-mini' });
  const base: ServerOptions = { db, chat, resolveChat: (model) => createOpenAIChat({ client, model }), allowedChatModels: ['gpt-4.1-mini'], connection: { client }, defaultCollection: 'docs', rateLimit: { requestsPerMinute: 10_000 }, ...options.server };
  const fixture: ServerFixture = {
    db,
    standIn,
    site,
    client,
    server: await startServer(base),
    async restart(more = {}) {
      await fixture.server.close();
      fixture.server = await startServer({ ...base, ...more });
      return fixture.server;
    },
    async close() {
      await fixture.server.close();
      await Promise.all([db.drop(), standIn.close(), site.close()]);
      await rm(siteDir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/**
 * A server fixture for the enclosing `describe`: started before its tests, closed after them, the
 * stand-in's request log cleared before each test. The object returned reads the running fixture.
 */
export function useServerFixture(backend: Backend, options?: Parameters<typeof startServerFixture>[1]): ServerFixture {
  let fixture: ServerFixture | undefined;
  beforeAll(async () => {
    fixture = await startServerFixture(backend, options);
  });
  afterAll(async () => {
    await fixture?.close();
  });
  beforeEach(() => {
    fixture!.standIn.requests.length = 0;
  });
  return new Proxy({} as ServerFixture, {
    get(_target, key) {
      if (!fixture) throw new Error('The server fixture is used outside a test: it starts in beforeAll.');
      return Reflect.get(fixture, key) as unknown;
    },
  });
}

/** A parsed server-sent event. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** Read a server-sent event stream to its end (or until `until` returns true). */
export async function readEvents(response: Response, until?: (e: SseEvent) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const raw = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(raw)?.[1] ?? 'message';
      const data = raw
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      const parsed: SseEvent = { event, data: data === '[DONE]' ? data : JSON.parse(data) };
      events.push(parsed);
      if (until?.(parsed)) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}

/** POST JSON to the server. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
}
