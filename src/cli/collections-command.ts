import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { configureCollectionIndex, listCollections, requireCollection, type HnswSettings } from '../store/collections.js';
import { status, withDatabase } from './context.js';
import { formatInt } from './format.js';
import { INDEX_DEFAULTS } from '../options/defaults.js';
import type { CliIo } from './io.js';
import { HNSW_FLAGS, describeHnsw, effectiveHnsw, parseHnswFlag } from './index-flags.js';
import { deleteCommand, renameCommand } from './collection-change-commands.js';

type HnswKey = keyof HnswSettings;

interface IndexFlags {
  m?: number | 'default';
  efConstruction?: number | 'default';
  efSearch?: number | 'default';
  json?: boolean;
}

/** `ragline collections index <name>`: change a collection's HNSW settings. */
function indexCommand(io: CliIo): Command {
  return new Command('index')
    .description("change a collection's HNSW settings; a new --m or --ef-construction rebuilds its index (reads and writes go on meanwhile)")
    .argument('<name>', 'the collection')
    .option('--m <n>', 'neighbours per node (2-100): more means better recall, a bigger index, slower builds; `default` for 16', parseHnswFlag('m', { allowDefault: true }))
    .option('--ef-construction <n>', 'candidate list size while building (4-1000, at least twice --m); `default` for 64', parseHnswFlag('efConstruction', { allowDefault: true }))
    .option('--ef-search <n>', 'candidate list size while searching (1-1000), from the next search on; `default` for 40', parseHnswFlag('efSearch', { allowDefault: true }))
    .option('--json', 'print {name, index, effective, changed, rebuilt} as JSON')
    .addHelpText('after', '\nExamples:\n  ragline collections index docs --ef-search 100\n  ragline collections index docs --m 32 --ef-construction 128\n  ragline collections index docs --m default --ef-construction default')
    .action(async (name: string, flags: IndexFlags) => {
      const keys = (Object.keys(HNSW_FLAGS) as HnswKey[]).filter((k) => flags[k] !== undefined);
      if (keys.length === 0) {
        throw new ConfigError('index', undefined, `Nothing to change: give --m, --ef-construction or --ef-search (a number, or \`default\`), e.g. \`ragline collections index ${name} --ef-search 100\`.`);
      }
      await withDatabase(io, async (db) => {
        const before = effectiveHnsw((await requireCollection(db.pool, name)).index);
        const settings = Object.fromEntries(keys.map((k) => [k, flags[k] === 'default' ? null : flags[k]]));
        const { collection, rebuilt } = await configureCollectionIndex(db.pool, name, settings);
        const after = effectiveHnsw(collection.index);
        const changed = Object.fromEntries(
          (Object.keys(HNSW_FLAGS) as HnswKey[]).filter((k) => before[k] !== after[k]).map((k) => [k, { from: before[k], to: after[k] }]),
        );
        if (flags.json) {
          io.stdout.write(`${JSON.stringify({ name: collection.name, index: collection.index, effective: after, changed, rebuilt }, null, 2)}\n`);
          return;
        }
        const names: Record<HnswKey, string> = { m: 'm', efConstruction: 'ef_construction', efSearch: 'ef_search' };
        const diff = (Object.keys(changed) as HnswKey[]).map((k) => `${names[k]} ${before[k]} → ${after[k]}`).join(', ');
        const graphChanged = 'm' in changed || 'efConstruction' in changed;
        const how = rebuilt
          ? 'its index was rebuilt'
          : graphChanged
            ? 'no index yet: it is built with these settings once the collection is large enough'
            : 'no rebuild needed, searches use it from now on';
        io.stdout.write(diff ? `Collection "${collection.name}": ${diff} (${how}).\n` : `Collection "${collection.name}": nothing changed (${describeHnsw(after)}).\n`);
      });
    });
}

export function collectionsCommand(io: CliIo): Command {
  return new Command('collections')
    .description('list collections with their embedding model, HNSW settings and document and chunk counts; `collections index|delete|rename` change them')
    .option('--json', 'print a JSON array of {name, embeddingProvider, embeddingModel, dimensions, index, indexed, documents, chunks, tokens} (index: the HNSW settings set, the rest are pgvector defaults; indexed: whether the HNSW index exists — a small collection is searched exactly without one)')
    // `collections index ... --json` is the subcommand's own --json (the program's options are positional too).
    .enablePositionalOptions()
    .addCommand(indexCommand(io))
    .addCommand(deleteCommand(io))
    .addCommand(renameCommand(io))
    .action(async (flags: { json?: boolean }) => {
      await withDatabase(io, async (db) => {
        const rows = await listCollections(db.pool);
        if (flags.json) {
          io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        status(io, `Store: ${db.description}`);
        if (rows.length === 0) {
          io.stdout.write('No collections yet: run `ragline ingest <url|folder> --collection <name>`.\n');
          return;
        }
        const table = [
          ['NAME', 'EMBEDDING MODEL', 'DIMS', 'DOCUMENTS', 'CHUNKS', 'TOKENS', 'INDEX', 'HNSW M', 'EF_CONSTRUCTION', 'EF_SEARCH'],
          ...rows.map((r) => {
            const hnsw = effectiveHnsw(r.index);
            return [r.name, `${r.embeddingProvider}/${r.embeddingModel}`, String(r.dimensions), formatInt(r.documents), formatInt(r.chunks), formatInt(r.tokens), r.indexed ? 'hnsw' : 'exact', String(hnsw.m), String(hnsw.efConstruction), String(hnsw.efSearch)];
          }),
        ];
        const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        for (const row of table) io.stdout.write(`${row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ')}\n`);
        if (rows.some((r) => !r.indexed)) {
          const min = db.kind === 'pglite' ? INDEX_DEFAULTS.minChunksEmbedded : INDEX_DEFAULTS.minChunksServer;
          status(io, `INDEX exact: no HNSW index yet, searches scan every chunk (exact, fast while small); an ingest builds it once the collection has ${formatInt(min)} chunks.`);
        }
      });
    });
}
