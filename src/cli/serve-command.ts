import { addRetrievalFlags, retrievalOptions, type RetrievalFlags } from './retrieval-flags.js';
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { SERVER_DEFAULTS } from '../options/defaults.js';
import { describeModels, resolveChatModel } from '../models/resolve.js';
import { openAIClient } from '../models/openai/client.js';
import { checkServerOptions, startServer } from '../server/server.js';
import { addCollectionOption, addModelOptions, modelSelection, parseInteger, status, withDatabase, type ModelFlags } from './context.js';
import { openAIConnection, type CliIo } from './io.js';

interface ServeFlags extends ModelFlags, RetrievalFlags {
  port: number;
  host: string;
  collection: string;
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
    .option('--max-queue <n>', 'answers waiting for a slot before requests get 503', parseInteger('maxQueue', 0), SERVER_DEFAULTS.maxQueuedAnswers);
  addRetrievalFlags(cmd);
  addCollectionOption(cmd);
  addModelOptions(cmd, { chat: true });
  cmd.addHelpText('after', '\nThe answer streams as server-sent events with `Accept: text/event-stream`; sources come first.');
  return cmd.action(async (flags: ServeFlags) => {
    const apiKeys = [...(flags.apiKey ?? []), ...(io.env.RAGLINE_API_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean)];
    // Refuse an unsafe setup before opening anything.
    checkServerOptions({ host: flags.host, apiKeys, allowedHosts: flags.allowedHost ?? [] });
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
        defaultCollection: flags.collection,
        ...(Object.keys(retrieval).length > 0 ? { search: retrieval } : {}),
        ...(flags.logRequests ? { log: (line: string) => status(io, line) } : {}),
      });
      status(io, describeModels({ chat }, reason));
      status(io, `Store: ${db.description}`);
      status(io, `API keys: ${apiKeys.length ? `${apiKeys.length} accepted, required on /api and /v1` : 'none (loopback only)'}${flags.moderate ? '; questions are moderated' : ''}`);
      status(io, `Serving on ${server.url}/ — open it in a browser; OpenAI-compatible base URL ${server.url}/v1. Ctrl-C stops.`);
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await server.close();
    });
  });
}
