import { Command, InvalidArgumentError, Option } from 'commander';
import { ingest, type IngestSummary } from '../../pipelines/website-qa.js';
import { getCollection, type Collection, type HnswSettings } from '../store/collections.js';
import { describeModels, embeddingModelForCollection, resolveEmbeddingModel } from '../models/resolve.js';
import type { EmbeddingModel } from '../models/spec.js';
import type { Database } from '../store/database.js';
import { addCollectionOption, addModelOptions, collectKeyValue, modelSelection, parseInteger, status, withDatabase, type ModelFlags } from './context.js';
import { HNSW_FLAGS, describeHnsw, effectiveHnsw, parseHnswFlag, withHnswFlagNames } from './index-flags.js';
import { createProgressBar } from './progress.js';
import { displayUrl, formatInt, formatMs } from './format.js';
import { formatUsd } from '../models/cost.js';
import { openAIConnection, resolvePath, type CliIo } from './io.js';

interface IngestFlags extends ModelFlags {
  collection: string;
  maxPages?: number;
  concurrency?: number;
  chunkTokens?: number;
  chunkOverlap?: number;
  allowPrivateNetwork?: boolean;
  timeout?: number;
  maxDepth?: number;
  scope?: 'host' | 'domain' | 'prefix';
  include?: string[];
  exclude?: string[];
  userAgent?: string;
  maxRequestsPerMinute?: number;
  delay?: number;
  ignoreRobots?: boolean;
  embedBatchSize?: number;
  json?: boolean;
  dryRun?: boolean;
  batchApi?: boolean;
  metadata?: Record<string, unknown>;
  m?: number;
  efConstruction?: number;
  efSearch?: number;
}

/**
 * The embedding model for an ingest: the collection's own when it exists and the user named none
 * (a collection's vectors must all come from one model), else the one the flags and environment pick.
 */
export async function ingestEmbeddingModel(io: CliIo, db: Database, flags: ModelFlags & { collection: string }): Promise<{ model: EmbeddingModel; reason: string }> {
  const existing = await getCollection(db.pool, flags.collection);
  if (existing && !flags.embeddingModel && !flags.provider && !flags.dimensions) {
    return { model: embeddingModelForCollection(existing, openAIConnection(io)), reason: `the model collection "${existing.name}" was built with` };
  }
  const { provider, reason, selection } = modelSelection(io, flags);
  return { model: resolveEmbeddingModel(provider, selection), reason };
}

/** Commander accumulator of a repeatable option; rejects an empty pattern. */
function collect(value: string, previous: string[]): string[] {
  if (value.trim() === '') throw new InvalidArgumentError('the pattern is empty.');
  return [...previous, value];
}

/**
 * When the collection exists with other HNSW settings than the flags ask for: the line that says
 * they are kept, and how to change them.
 */
export function keptIndexLine(existing: Collection, wanted: HnswSettings): string | undefined {
  const have = effectiveHnsw(existing.index);
  const keys = (Object.keys(HNSW_FLAGS) as Array<keyof HnswSettings>).filter((k) => wanted[k] !== undefined);
  if (keys.every((k) => wanted[k] === have[k])) return undefined;
  const flags = keys.map((k) => `${HNSW_FLAGS[k]} ${wanted[k]}`).join(' ');
  const given = keys.map((k) => HNSW_FLAGS[k]);
  return `Collection "${existing.name}" exists and keeps its HNSW settings (${describeHnsw(have)}): ${given.join(', ')} ${given.length === 1 ? 'applies' : 'apply'} only to a collection the ingest creates; to change ${given.length === 1 ? 'it' : 'them'}, run \`ragline collections index ${existing.name} ${flags}\`.`;
}

/** The one line of `ingest --dry-run`. */
function dryRunLine(s: IngestSummary): string {
  const price = s.costUsd === undefined ? 'no price known for this model' : `≈ ${formatUsd(s.costUsd)}${s.batchCostUsd !== undefined ? ` (${formatUsd(s.batchCostUsd)} with --batch-api)` : ''}`;
  return (
    `Dry run for "${s.collection}": ${formatInt(s.documents)} pages (${s.new} new, ${s.changed} changed, ${s.unchanged} unchanged${s.empty ? `, ${s.empty} without text` : ''}) ` +
    `· ${formatInt(s.chunks)} chunks · ${formatInt(s.embeddedTokens)} tokens to embed (${formatInt(s.cachedChunks)} chunks reused) · ${price}; nothing was embedded or written.`
  );
}

export function summaryLine(s: IngestSummary): string {
  if (s.dryRun) return dryRunLine(s);
  const skipped = Object.entries(s.skipped);
  const skippedTotal = skipped.reduce((n, [, v]) => n + v, 0);
  return [
    `Ingested ${formatInt(s.documents)} documents into "${s.collection}" in ${formatMs(s.ms)}:`,
    `${s.new} new, ${s.changed} changed, ${s.unchanged} unchanged${s.removed ? `, ${s.removed} removed` : ''}${s.empty ? `, ${s.empty} without text` : ''}${s.resumed ? ' (resumed an interrupted crawl)' : ''}`,
    `· ${formatInt(s.chunks)} chunks written (${formatInt(s.embeddedChunks)} embedded, ${formatInt(s.cachedChunks)} reused)`,
    `· ${formatInt(s.embeddedTokens)} tokens embedded${s.costUsd !== undefined ? ` (${formatUsd(s.costUsd)})` : ''}`,
    skippedTotal ? `· ${skippedTotal} URLs skipped (${skipped.map(([k, v]) => `${k} ${v}`).join(', ')})` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function ingestCommand(io: CliIo): Command {
  const cmd = new Command('ingest')
    .description('crawl a website (or read a folder of .html/.md/.txt files) into a collection')
    .argument('<source>', 'start URL (http/https), or a file or folder')
    .option('--max-pages <n>', 'stop after this many pages', parseInteger('max-pages'), 1000)
    .option('--concurrency <n>', 'pages fetched at once', parseInteger('concurrency'), 8)
    .option('--chunk-tokens <n>', 'largest chunk in tokens', parseInteger('chunk-tokens', 32), 500)
    .option('--chunk-overlap <n>', 'tokens repeated between consecutive chunks', parseInteger('chunk-overlap', 0), 0)
    .option('--timeout <ms>', 'timeout of each HTTP request', parseInteger('timeout'), 30_000)
    .option('--allow-private-network', 'allow crawling loopback and private addresses (local sites)', false)
    .option('--max-depth <n>', 'follow links at most this many hops from the start URL', parseInteger('max-depth', 0))
    .addOption(new Option('--scope <scope>', 'which URLs to crawl: the start host, its domain and subdomains, or URLs under the start URL\'s folder').choices(['host', 'domain', 'prefix']).default('host'))
    .option('--include <pattern>', 'only follow links matching this glob on path and query (/docs/*) or re:regex on the whole URL; repeatable', collect, [])
    .option('--exclude <pattern>', 'never follow links matching this glob or re:regex; repeatable', collect, [])
    .option('--user-agent <ua>', 'User-Agent sent, and matched against robots.txt groups (default: ragline/<version> (+project URL))')
    .option('--max-requests-per-minute <n>', 'cap on page requests per minute over the crawl', parseInteger('max-requests-per-minute'))
    .option('--delay <ms>', 'least time between two requests to the site (robots.txt Crawl-delay wins if longer)', parseInteger('delay', 0))
    .option('--embed-batch-size <n>', 'chunks per embedding request (smaller: pages reach the store, and a resumable state, sooner)', parseInteger('embed-batch-size'))
    .option('--ignore-robots', 'do not read robots.txt (only for sites you own or may crawl regardless)', false)
    .option('--json', 'print the summary as JSON')
    .option('--dry-run', 'count pages, chunks and tokens and estimate the price, without embedding or writing anything')
    .option('--batch-api', 'embed through the OpenAI Batch API: half price, results within 24 h; run again after an interruption to pick the batches up')
    .option(
      '--metadata <key=value>',
      'store this with every chunk, to filter searches on (`ragline search --filter key=value`); the value is JSON when valid (3, true, ["a","b"]), else a string (3.10 stays "3.10"); repeatable. A page keeps the metadata of its last ingest',
      collectKeyValue('metadata'),
    )
    .option('--m <n>', 'HNSW neighbours per node of a collection this ingest creates (pgvector default 16)', parseHnswFlag('m'))
    .option('--ef-construction <n>', 'HNSW build candidate list size of a collection this ingest creates (default 64, at least twice --m)', parseHnswFlag('efConstruction'))
    .option('--ef-search <n>', 'HNSW search candidate list size of a collection this ingest creates (default 40)', parseHnswFlag('efSearch'))
    .addHelpText(
      'after',
      '\nThe HNSW flags apply when the collection is created; change an existing one with `ragline collections index <name>`.\n\nExamples:\n  ragline ingest https://docs.example.com --collection docs\n  ragline ingest ./site --collection docs --chunk-tokens 300\n  ragline ingest ./api-docs --collection docs --metadata product=api --metadata version=\'"3.14"\'',
    );
  addCollectionOption(cmd);
  addModelOptions(cmd, { embedding: true });
  return cmd.action(async (source: string, flags: IngestFlags) => {
    await withDatabase(io, async (db, signal) => {
      const { model, reason } = await ingestEmbeddingModel(io, db, flags);
      status(io, describeModels({ embedding: model }, reason));
      status(io, `Store: ${db.description}`);
      const index: HnswSettings = {
        ...(flags.m !== undefined ? { m: flags.m } : {}),
        ...(flags.efConstruction !== undefined ? { efConstruction: flags.efConstruction } : {}),
        ...(flags.efSearch !== undefined ? { efSearch: flags.efSearch } : {}),
      };
      const existing = await getCollection(db.pool, flags.collection);
      const kept = existing && keptIndexLine(existing, index);
      if (kept) status(io, kept);
      const bar = createProgressBar('ingest', io.stderr);
      let summary: IngestSummary;
      try {
        summary = await withHnswFlagNames(() => ingest({
          db,
          source: resolvePath(io, source),
          collection: flags.collection,
          embedding: model,
          chunk: { ...(flags.chunkTokens ? { maxTokens: flags.chunkTokens } : {}), ...(flags.chunkOverlap ? { overlapTokens: flags.chunkOverlap } : {}) },
          crawl: {
            ...(flags.maxPages ? { maxPages: flags.maxPages } : {}),
            ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
            ...(flags.timeout ? { timeoutMs: flags.timeout } : {}),
            allowPrivateNetwork: flags.allowPrivateNetwork === true,
            ...(flags.maxDepth !== undefined ? { maxDepth: flags.maxDepth } : {}),
            ...(flags.scope ? { scope: flags.scope } : {}),
            ...(flags.include?.length ? { include: flags.include } : {}),
            ...(flags.exclude?.length ? { exclude: flags.exclude } : {}),
            ...(flags.userAgent ? { userAgent: flags.userAgent } : {}),
            ...(flags.maxRequestsPerMinute ? { maxRequestsPerMinute: flags.maxRequestsPerMinute } : {}),
            ...(flags.delay ? { delayMs: flags.delay } : {}),
            ...(flags.ignoreRobots ? { robots: false } : {}),
          },
          ...(flags.embedBatchSize ? { embed: { batchSize: flags.embedBatchSize } } : {}),
          signal,
          ...(flags.dryRun ? { dryRun: true } : {}),
          ...(flags.batchApi ? { batchApi: { onEvent: (e) => status(io, e.type === 'status' ? `Batch ${e.batchId}: ${e.status} (${e.completed}/${e.total} requests)` : `Batch ${e.batchId}: ${e.type}`) } } : {}),
          ...(flags.metadata ? { metadata: flags.metadata } : {}),
          ...(Object.keys(index).length ? { index } : {}),
          onProgress: (p) => bar.update(p.documents, p.maxPages ? Math.max(p.fetched, p.documents) : undefined, `docs · ${formatInt(p.chunks)} chunks · ${formatInt(p.tokens)} tokens · ${displayUrl(p.url)}`),
        }));
      } finally {
        bar.stop();
      }
      if (flags.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else status(io, summaryLine(summary));
    });
  });
}
