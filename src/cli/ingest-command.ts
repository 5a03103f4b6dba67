import { Command } from 'commander';
import { describeSkips, ingest, skipWords, type IngestSummary } from '../core/ingest.js';
import type { IngestProgress } from '../core/ingest-types.js';
import { isCrawlSource } from '../core/document-source.js';
import { getCollection, type Collection, type HnswSettings } from '../store/collections.js';
import { describeModels, embeddingModelForCollection, resolveEmbeddingModel } from '../models/resolve.js';
import type { EmbeddingModel } from '../models/spec.js';
import type { Database } from '../store/database.js';
import { toIngestOptions } from '../core/ingest-settings.js';
import { modelSelection, status, withDatabase, type ModelFlags } from './context.js';
import { HNSW_FLAGS, describeHnsw, effectiveHnsw } from './index-flags.js';
import { addIngestFlags, ingestSettings, type IngestFlags } from './ingest-flags.js';
import { createProgressBar } from './progress.js';
import { displayUrl, formatInt, formatMs } from './format.js';
import { formatUsd } from '../models/cost.js';
import { openAIConnection, resolvePath, type CliIo } from './io.js';

interface IngestCommandFlags extends IngestFlags {
  json?: boolean;
  verbose?: boolean;
  dryRun?: boolean;
  batchApi?: boolean;
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
    `· ${formatInt(s.chunks)} chunks · ${formatInt(s.embeddedTokens)} tokens to embed (${formatInt(s.cachedChunks)} chunks reused) · ${price}${skippedPart(s) ? ` ${skippedPart(s)}` : ''}; nothing was embedded or written.`
  );
}

/**
 * `· 2 URLs skipped: 1 not found (404), 1 disallowed by robots.txt`, or '' when nothing was
 * skipped; `hint` adds how to list them.
 */
function skippedPart(s: IngestSummary, hint = false): string {
  const total = Object.values(s.skipped).reduce((n, v) => n + v, 0);
  if (!total) return '';
  const what = isCrawlSource(s.source) ? (total === 1 ? 'URL' : 'URLs') : total === 1 ? 'file' : 'files';
  return `· ${total} ${what} skipped: ${describeSkips(s.skippedItems, s.skipped)}${hint && s.skippedItems.length ? ' (--verbose lists them)' : ''}`;
}

/** The lines of `--verbose`: each skipped URL or file with its reason in words. */
export function skippedLines(s: IngestSummary): string[] {
  const items = s.skippedItems;
  if (items.length === 0) return [];
  return [`Skipped ${items.length} ${isCrawlSource(s.source) ? 'URL' : 'file'}${items.length === 1 ? '' : 's'}:`, ...items.map((i) => `  ${displayUrl(i.url)} — ${skipWords(i)}`)];
}

/** The one summary line of an ingest; `hint`: say that `--verbose` lists the skipped items. */
export function summaryLine(s: IngestSummary, hint = false): string {
  if (s.dryRun) return dryRunLine(s);
  return [
    `Ingested ${formatInt(s.documents)} documents into "${s.collection}" in ${formatMs(s.ms)}:`,
    `${s.new} new, ${s.changed} changed, ${s.unchanged} unchanged${s.removed ? `, ${s.removed} removed` : ''}${s.empty ? `, ${s.empty} without text` : ''}${s.resumed ? ' (resumed an interrupted crawl)' : ''}${s.force ? ' (--force: all fetched and re-chunked)' : ''}`,
    `· ${formatInt(s.chunks)} chunks written (${formatInt(s.embeddedChunks)} embedded, ${formatInt(s.cachedChunks)} reused)`,
    `· ${formatInt(s.embeddedTokens)} tokens embedded${s.costUsd !== undefined ? ` (${formatUsd(s.costUsd)})` : ''}`,
    skippedPart(s, hint),
    s.indexMs !== undefined ? `· HNSW index built in ${formatMs(s.indexMs)} (the collection passed its threshold)` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function ingestCommand(io: CliIo): Command {
  const cmd = addIngestFlags(
    new Command('ingest').description('crawl a website (or read a folder of .html/.md/.txt/.pdf/.docx files) into a collection').argument('<source>', 'start URL (http/https), or a file or folder'),
  )
    .option('--json', 'print the summary as JSON')
    .option('--dry-run', 'count pages, chunks and tokens and estimate the price, without embedding or writing anything')
    .option('-v, --verbose', 'list each skipped URL or file with its reason (HTTP status, robots.txt, scope, ...) before the summary')
    .option('--batch-api', 'embed through the OpenAI Batch API: half price, results within 24 h; run again after an interruption to pick the batches up')
    .addHelpText(
      'after',
      '\nThe HNSW flags apply when the collection is created; change an existing one with `ragline collections index <name>`.\n\nExamples:\n  ragline ingest https://docs.example.com --collection docs\n  ragline ingest ./site --collection docs --chunk-tokens 300\n  ragline ingest ./api-docs --collection docs --metadata product=api --metadata version=\'"3.14"\'',
    );
  return cmd.action(async (source: string, flags: IngestCommandFlags) => {
    await withDatabase(io, async (db, signal) => {
      const { model, reason } = await ingestEmbeddingModel(io, db, flags);
      status(io, describeModels({ embedding: model }, reason));
      status(io, `Store: ${db.description}`);
      const settings = toIngestOptions(ingestSettings(flags));
      const existing = await getCollection(db.pool, flags.collection);
      const kept = existing && settings.index && keptIndexLine(existing, settings.index);
      if (kept) status(io, kept);
      const bar = createProgressBar('ingest', io.stderr, { env: io.env });
      // Drawn from the first page fetched, not only once pages are stored: a slow crawl shows itself.
      let fetched = 0;
      let last: IngestProgress | undefined;
      const draw = (url: string) =>
        bar.update(
          last?.documents ?? 0,
          last?.maxPages ? Math.max(fetched, last.documents) : undefined,
          `stored · ${formatInt(fetched)} fetched · ${formatInt(last?.chunks ?? 0)} chunks · ${formatInt(last?.tokens ?? 0)} tokens · ${displayUrl(url)}`,
        );
      let summary: IngestSummary;
      try {
        summary = await ingest({
          db,
          source: resolvePath(io, source),
          collection: flags.collection,
          embedding: model,
          ...settings,
          signal,
          ...(flags.dryRun ? { dryRun: true } : {}),
          ...(flags.batchApi ? { batchApi: { onEvent: (e) => status(io, e.type === 'status' ? `Batch ${e.batchId}: ${e.status} (${e.completed}/${e.total} requests)` : `Batch ${e.batchId}: ${e.type}`) } } : {}),
          onCrawlEvent: (e) => {
            if (e.type !== 'page') return;
            fetched++;
            draw(e.url);
          },
          onProgress: (p) => {
            last = p;
            fetched = Math.max(fetched, p.fetched);
            draw(p.url);
          },
        });
      } finally {
        bar.stop();
      }
      if (flags.verbose) for (const line of skippedLines(summary)) status(io, line);
      if (flags.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else status(io, summaryLine(summary, !flags.verbose));
    });
  });
}
