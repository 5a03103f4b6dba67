/**
 * Library errors name options (``Expected `maxTokens` to be ...``, ``Pass `allowPrivateNetwork: true` ...``);
 * a CLI user knows flags. This map turns one into the other when the CLI prints an error.
 */
import { ConfigError } from '../errors.js';

/**
 * The flag of each library option the CLI sets, by the name (or `name: value`) the library's
 * messages write in backticks. An error's own option that is missing here is a flag of the
 * same name in kebab case (`maxPages` → `--max-pages`).
 */
export const OPTION_FLAGS: Readonly<Record<string, string>> = {
  // Crawl and HTTP
  maxPages: '--max-pages',
  maxFileBytes: '--max-file-bytes',
  maxDepth: '--max-depth',
  concurrency: '--concurrency',
  scope: '--scope',
  include: '--include',
  exclude: '--exclude',
  userAgent: '--user-agent',
  maxRequestsPerMinute: '--max-requests-per-minute',
  delayMs: '--delay',
  timeoutMs: '--timeout',
  'robots: false': '--ignore-robots',
  allowPrivateNetwork: '--allow-private-network',
  'allowPrivateNetwork: true': '--allow-private-network',
  // Chunk, embed and store
  maxTokens: '--chunk-tokens',
  overlapTokens: '--chunk-overlap',
  batchSize: '--embed-batch-size',
  batchApi: '--batch-api',
  metadata: '--metadata',
  collection: '--collection',
  m: '--m',
  efConstruction: '--ef-construction',
  efSearch: '--ef-search',
  // The database, which the CLI takes from the environment
  databaseUrl: 'DATABASE_URL',
  dataDir: 'RAGLINE_DATA_DIR',
  // Models
  embeddingModel: '--embedding-model',
  dimensions: '--dimensions',
  chatModel: '--chat-model',
  contextWindow: '--context-window',
  maxOutputTokens: '--max-output-tokens',
  // Search and ask
  k: '--k',
  filter: '--filter',
  // Minutes
  maxChunkTokens: '--chunk-tokens',
  reserveOutputTokens: '--reserve-output-tokens',
  format: '--format',
  formats: '--format',
  out: '--out',
  // Server
  apiKeys: '--api-key (or RAGLINE_API_KEYS)',
  requestsPerMinute: '--rate-limit',
  maxConcurrentAnswers: '--max-concurrent',
  maxQueuedAnswers: '--max-queue',
  adminKeys: '--admin-key (or RAGLINE_ADMIN_KEYS)',
  allowedChatModels: '--allow-chat-model',
  collections: '--collection',
  refreshEvery: '--refresh-every',
};

const kebab = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * An error's message with the options it names in backticks written as flags. A backticked value
 * (`` `0` (number)``, as `describeValue` writes it) is left alone, and so is anything the map does
 * not know, such as a command line (`` `ragline jobs list` ``).
 */
export function flagMessage(err: Error): string {
  const own = err instanceof ConfigError ? err.option : undefined;
  return err.message.replace(/`([^`]+)`(?! \([a-z]+\))/g, (whole, name: string) => {
    if (Object.hasOwn(OPTION_FLAGS, name)) return OPTION_FLAGS[name]!;
    return name === own ? kebab(name) : whole;
  });
}
