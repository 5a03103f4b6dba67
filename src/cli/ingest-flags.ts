/**
 * The flags of an ingest, shared by `ragline ingest` and `ragline jobs add`, and their reading into
 * `IngestSettings` (which `toIngestOptions` maps onto `ingest`, here and in the job worker). No flag
 * has a commander default: an unset flag stays unset, the library's default applies, and a job
 * stores only what was given. The help shows the library's defaults.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CRAWL_SCOPES } from '../crawl/scope.js';
import { CHUNK_DEFAULTS, CRAWL_DEFAULTS, EMBED_DEFAULTS, HTTP_DEFAULTS } from '../options/defaults.js';
import type { IngestSettings } from '../core/ingest-settings.js';
import { addCollectionOption, addModelOptions, collectKeyValue, parseInteger, withDefault, type ModelFlags } from './context.js';
import { parseHnswFlag } from './index-flags.js';

/**
 * What {@link addIngestFlags} adds, as commander parses it: the settings under the flags' names
 * (`--timeout`, `--delay`, and the HNSW flags one by one).
 */
export interface IngestFlags extends ModelFlags, Omit<IngestSettings, 'timeoutMs' | 'delayMs' | 'index'> {
  collection: string;
  timeout?: number;
  delay?: number;
  m?: number;
  efConstruction?: number;
  efSearch?: number;
}

/** Commander accumulator of a repeatable pattern; rejects an empty one. */
function collectPattern(value: string, previous: string[] | undefined): string[] {
  if (value.trim() === '') throw new InvalidArgumentError('the pattern is empty.');
  return [...(previous ?? []), value];
}

/**
 * Add the ingest flags: crawl, chunk, embed, metadata, HNSW index, collection and embedding model.
 * `serve` (which re-crawls) takes them without `--collection` and the embedding model flags.
 */
export function addIngestFlags(cmd: Command, which: { collectionAndModel?: boolean } = {}): Command {
  cmd
    .option('--max-pages <n>', withDefault('stop a site crawl after this many pages', CRAWL_DEFAULTS.maxPages), parseInteger('maxPages'))
    .option('--max-file-bytes <n>', withDefault('largest PDF or Word file downloaded or read, in bytes; larger ones are skipped with reason too-large', CRAWL_DEFAULTS.maxFileBytes), parseInteger('maxFileBytes'))
    .option('--concurrency <n>', withDefault('pages fetched at once', CRAWL_DEFAULTS.concurrency), parseInteger('concurrency'))
    .option('--chunk-tokens <n>', withDefault('largest chunk in tokens', CHUNK_DEFAULTS.maxTokens), parseInteger('chunkTokens', 32))
    .option('--chunk-overlap <n>', withDefault('tokens repeated between consecutive chunks', CHUNK_DEFAULTS.overlapTokens), parseInteger('chunkOverlap', 0))
    .option('--timeout <ms>', withDefault('timeout of each HTTP request', HTTP_DEFAULTS.timeoutMs), parseInteger('timeout'))
    .option('--allow-private-network', 'allow crawling loopback and private addresses (local sites)')
    .option('--max-depth <n>', 'follow links at most this many hops from the start URL', parseInteger('maxDepth', 0))
    .addOption(
      new Option('--scope <scope>', withDefault("which URLs to crawl: the start host, its domain and subdomains, or URLs under the start URL's folder", CRAWL_DEFAULTS.scope)).choices(CRAWL_SCOPES),
    )
    .option('--include <pattern>', 'only follow links matching this glob on path and query (/docs/*) or re:regex on the whole URL; repeatable', collectPattern)
    .option('--exclude <pattern>', 'never follow links matching this glob or re:regex; repeatable', collectPattern)
    .option('--user-agent <ua>', 'User-Agent sent, and matched against robots.txt groups (default: ragline/<version> (+project URL))')
    .option('--max-requests-per-minute <n>', 'cap on page requests per minute over the crawl', parseInteger('maxRequestsPerMinute'))
    .option('--delay <ms>', withDefault('least time between two requests to the site (robots.txt Crawl-delay wins if longer)', CRAWL_DEFAULTS.delayMs), parseInteger('delay', 0))
    .option('--force', 're-fetch every page in full (no conditional requests or sitemap lastmod shortcuts) and re-chunk every document; vectors of unchanged text still come from the store, so nothing is embedded again')
    .option('--ignore-robots', 'do not read robots.txt (only for sites you own or may crawl regardless)')
    .option('--embed-batch-size <n>', withDefault('chunks per embedding request (smaller: pages reach the store, and a resumable state, sooner)', EMBED_DEFAULTS.batchSize), parseInteger('embedBatchSize'))
    .option('--embed-concurrency <n>', withDefault('embedding requests in flight', EMBED_DEFAULTS.concurrency), parseInteger('embedConcurrency'))
    .option(
      '--metadata <key=value>',
      'store this with every chunk, to filter searches on (`ragline search --filter key=value`); the value is JSON when valid (3, true, ["a","b"]), else a string (3.10 stays "3.10"); repeatable. A page keeps the metadata of its last ingest',
      collectKeyValue('metadata'),
    )
    .option('--m <n>', 'HNSW neighbours per node of a collection this ingest creates (pgvector default 16)', parseHnswFlag('m'))
    .option('--ef-construction <n>', 'HNSW build candidate list size of a collection this ingest creates (default 64, at least twice --m)', parseHnswFlag('efConstruction'))
    .option('--ef-search <n>', 'HNSW search candidate list size of a collection this ingest creates (default 40)', parseHnswFlag('efSearch'));
  if (which.collectionAndModel === false) return cmd;
  addCollectionOption(cmd);
  return addModelOptions(cmd, { embedding: true });
}

/** The settings the flags give; a flag not given is undefined there (and so absent from a stored job). */
export function ingestSettings(flags: IngestFlags): IngestSettings {
  const index = { m: flags.m, efConstruction: flags.efConstruction, efSearch: flags.efSearch };
  return {
    maxPages: flags.maxPages,
    maxFileBytes: flags.maxFileBytes,
    concurrency: flags.concurrency,
    chunkTokens: flags.chunkTokens,
    chunkOverlap: flags.chunkOverlap,
    timeoutMs: flags.timeout,
    allowPrivateNetwork: flags.allowPrivateNetwork,
    maxDepth: flags.maxDepth,
    scope: flags.scope,
    include: flags.include,
    exclude: flags.exclude,
    userAgent: flags.userAgent,
    maxRequestsPerMinute: flags.maxRequestsPerMinute,
    delayMs: flags.delay,
    ignoreRobots: flags.ignoreRobots,
    force: flags.force,
    embedBatchSize: flags.embedBatchSize,
    embedConcurrency: flags.embedConcurrency,
    metadata: flags.metadata,
    index: Object.values(index).some((v) => v !== undefined) ? index : undefined,
  };
}
