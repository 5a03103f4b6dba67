import { addRetrievalFlags, retrievalOptions, type RetrievalFlags } from './retrieval-flags.js';
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { SERVER_DEFAULTS } from '../options/defaults.js';
import { describeModels, resolveChatModel } from '../models/resolve.js';
import { openAIClient } from '../models/openai/client.js';
import { checkServerOptions, startServer } from '../server/server.js';
import { toIngestOptions } from '../core/ingest-settings.js';
import { formatDuration, parseDuration } from '../options/duration.js';
import { addModelOptions, modelSelection, parseInteger, status, withDatabase } from './context.js';
import { addIngestFlags, ingestSettings, type IngestFlags } from './ingest-flags.js';
import { openAIConnection, type CliIo } from './io.js';

interface ServeFlags extends Omit<IngestFlags, 'collection'>, RetrievalFlags {
  port: number;
  host: string;
  collection?: string[];
  allowChatModel?: string[];
  refreshEvery?: number;
  refreshAsJobs?: boolean;
  adminKey?: string[];
  apiKey?: string[];
  rateLimit: number;
  cors?: string;
  allowedHost?: string[];
  moderate?: boolean;
  logRequests?: boolean;
  maxConcurrent: number;
  maxQueue: number;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Keys of a comma-separated environment variable. */
const keysOf = (value: string | undefined) => (value ?? '').split(',').map((k) => k.trim()).filter(Boolean);

export function serveCommand(io: CliIo): Command {
  const cmd = new Command('serve')
    .description('serve the Q&A bot: a chat page at /, a JSON API (/api/ask, /api/search) and an OpenAI-compatible /v1/chat/completions')
    .option('-p, --port <n>', 'port to listen on', parseInteger('port', 0), 8787)
    .option('--host <address>', 'interface to listen on; anything but loopback requires API keys', SERVER_DEFAULTS.host)
    .option('--api-key <key>', 'accept this key as `Authorization: Bearer <key>` (repeatable; RAGLINE_API_KEYS, comma-separated, keeps keys out of `ps`)', collect)
    .option('--rate-limit <n>', 'requests per minute allowed to one key (or address)', parseInteger('rateLimit'), SERVER_DEFAULTS.requestsPerMinute)
    .option('--cors <origins>', 'comma-separated origins allowed to call the API from a browser ("*" for any); off by default, and browser requests from other sites are refused')
    .option('--allowed-host <name>', 'a host name clients reach the server by, besides localhost and the listen address (repeatable; "*" for any); other Host headers get 403', collect)
    .option('--moderate', 'check every question with the moderation endpoint and refuse flagged ones')
    .option('--log-requests', 'print one line per request on stderr: method, path, status, time, key fingerprint (never keys or bodies)')
    .option('--max-concurrent <n>', 'answers generated at once', parseInteger('maxConcurrent'), SERVER_DEFAULTS.maxConcurrentAnswers)
    .option('--max-queue <n>', 'answers waiting for a slot before requests get 503', parseInteger('maxQueue', 0), SERVER_DEFAULTS.maxQueuedAnswers)
    .option('-c, --collection <name>', 'serve this collection (repeatable; the first is the default); others answer 404. Default: every collection', collect)
    .option('--allow-chat-model <id>', 'a chat model callers may pick as `collection:model`, besides --chat-model (repeatable); others get 400', collect)
    .option('--admin-key <key>', 'an API key that may also start refreshes (repeatable; RAGLINE_ADMIN_KEYS, comma-separated)', collect)
    .option('--refresh-every <duration>', 're-crawl each served crawled collection this often (30s, 10m, 1h), incrementally, one at a time, while serving', (v: string) => parseDuration('refreshEvery', v, 1000));
  cmd.option('--refresh-as-jobs', 'queue refreshes as site jobs for `ragline worker` instead of running them in this process (DATABASE_URL only)');
  addRetrievalFlags(cmd);
  addModelOptions(cmd, { chat: true });
  // The crawl flags of the re-crawls: give those of the original ingest.
  addIngestFlags(cmd, { collectionAndModel: false });
  cmd.addHelpText(
    'after',
    '\nThe answer streams as server-sent events with `Accept: text/event-stream`; sources come first.\nRefreshes use the crawl, chunk and metadata flags given here: give the same ones as the original `ingest`.\nPOST /api/collections/<name>/refresh starts one now (an admin key is needed when keys are set).',
  );
  return cmd.action(async (flags: ServeFlags) => {
    const apiKeys = [...(flags.apiKey ?? []), ...keysOf(io.env.RAGLINE_API_KEYS)];
    const adminKeys = [...(flags.adminKey ?? []), ...keysOf(io.env.RAGLINE_ADMIN_KEYS)];
    // Refuse an unsafe setup before opening anything.
    checkServerOptions({ host: flags.host, apiKeys, adminKeys, allowedHosts: flags.allowedHost ?? [] });
    const { provider, reason, selection } = modelSelection(io, flags);
    if (flags.moderate && provider !== 'openai') {
      throw new ConfigError('moderate', true, '--moderate needs the moderation endpoint: set OPENAI_API_KEY or OPENAI_BASE_URL (the offline models have none).');
    }
    // One client for every model call: one connection pool, one retry policy.
    const client = provider === 'openai' || io.env.OPENAI_API_KEY || io.env.OPENAI_BASE_URL ? await openAIClient(openAIConnection(io)) : undefined;
    const chat = resolveChatModel(provider, { ...selection, ...(client ? { client } : {}) });
    const retrieval = retrievalOptions(io, flags);
    await withDatabase(io, async (db, signal) => {
      const server = await startServer({
        db,
        chat,
        allowedChatModels: flags.allowChatModel ?? [],
        ...(flags.collection ? { collections: flags.collection } : {}),
        adminKeys,
        refresh: {
          ...(flags.refreshEvery !== undefined ? { everyMs: flags.refreshEvery } : {}),
          ingest: toIngestOptions(ingestSettings({ ...flags, collection: '' })),
          ...(flags.refreshAsJobs ? { jobs: ingestSettings({ ...flags, collection: '' }) } : {}),
          log: (line: string) => status(io, line),
        },
        resolveChat: (chatModel) => resolveChatModel(provider, { ...selection, chatModel, ...(client ? { client } : {}) }),
        connection: client ? { client } : {},
        port: flags.port,
        host: flags.host,
        apiKeys,
        rateLimit: { requestsPerMinute: flags.rateLimit },
        corsOrigins: flags.cors ? flags.cors.split(',').map((o) => o.trim()).filter(Boolean) : [],
        allowedHosts: flags.allowedHost ?? [],
        ...(flags.moderate && client ? { moderation: client } : {}),
        maxConcurrentAnswers: flags.maxConcurrent,
        maxQueuedAnswers: flags.maxQueue,
        ...(flags.collection ? { defaultCollection: flags.collection[0]! } : {}),
        ...(Object.keys(retrieval).length > 0 ? { search: retrieval } : {}),
        ...(flags.logRequests ? { log: (line: string) => status(io, line) } : {}),
      });
      status(io, describeModels({ chat }, reason));
      status(io, `Store: ${db.description}`);
      status(io, `API keys: ${apiKeys.length + adminKeys.length ? `${apiKeys.length + adminKeys.length} accepted (${adminKeys.length} admin), required on /api and /v1` : 'none (loopback only)'}${flags.moderate ? '; questions are moderated' : ''}`);
      status(io, `Collections: ${flags.collection ? flags.collection.join(', ') : 'all in the store'}; chat models callers may pick: ${[chat.modelId, ...(flags.allowChatModel ?? [])].join(', ')}`);
      for (const name of server.missingCollections) status(io, `Warning: collection "${name}" does not exist (yet): it answers 404 until it is ingested.`);
      for (const u of server.unservable) status(io, `Warning: ${u.reason} Its requests answer 503.`);
      if (flags.refreshEvery !== undefined) status(io, `Refresh: every crawled collection served is re-crawled every ${formatDuration(flags.refreshEvery)}${flags.refreshAsJobs ? ' by the workers (queued as jobs)' : ''}.`);
      status(io, `Serving on ${server.url}/ — open it in a browser; OpenAI-compatible base URL ${server.url}/v1. Ctrl-C stops.`);
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await server.close();
    });
  });
}
