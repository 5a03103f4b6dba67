/** `ragline documents list|remove`: the documents of a collection, and removing some of them. */
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { normalizeUrl } from '../stages/crawl.js';
import { requireCollection } from '../store/collections.js';
import { listDocuments, removeDocuments } from '../store/document-list.js';
import { addCollectionOption, parseInteger, status, withDatabase } from './context.js';
import { displayUrl, formatInt } from './format.js';
import { resolvePath, type CliIo } from './io.js';

/** `2026-12-06 09:40` (UTC). */
const minute = (d: Date): string => d.toISOString().slice(0, 16).replace('T', ' ');

function listCommand(io: CliIo): Command {
  return addCollectionOption(new Command('list').description("list a collection's documents: URL, title, chunks, last update (UTC), in URL order"))
    .option('--limit <n>', 'at most this many', parseInteger('limit'))
    .option('--json', 'print {collection, total, documents: [{url, title, contentType, chunks, tokens, updatedAt, fetchedAt}]} as JSON')
    .addHelpText('after', '\nExamples:\n  ragline documents list --collection docs\n  ragline documents list --collection docs --limit 20 --json')
    .action(async (flags: { collection: string; limit?: number; json?: boolean }) => {
      await withDatabase(io, async (db) => {
        const collection = await requireCollection(db.pool, flags.collection);
        const { total, documents } = await listDocuments(db.pool, collection.id, flags.limit === undefined ? {} : { limit: flags.limit });
        if (flags.json) {
          io.stdout.write(`${JSON.stringify({ collection: collection.name, total, documents }, null, 2)}\n`);
          return;
        }
        const table = [['URL', 'TITLE', 'CHUNKS', 'UPDATED'], ...documents.map((d) => [displayUrl(d.url), d.title, formatInt(d.chunks), minute(d.updatedAt)])];
        const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        for (const row of table) io.stdout.write(`${row.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd()}\n`);
        const shown = documents.length < total ? `${formatInt(documents.length)} of ${formatInt(total)}` : formatInt(total);
        status(io, `${shown} document${total === 1 ? '' : 's'} in "${collection.name}".`);
      });
    });
}

/** The stored URLs an argument may mean: as written and normalised (a URL), or a file's `file://` URL (a path). */
function candidates(io: CliIo, arg: string): string[] {
  if (/^https?:\/\//i.test(arg)) {
    let normal = arg;
    try {
      normal = normalizeUrl(arg);
    } catch {
      // Not a URL that parses: only the text as written can match.
    }
    return [...new Set([arg, normal])];
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(arg)) return [arg];
  return [pathToFileURL(resolvePath(io, arg)).href];
}

function removeCommand(io: CliIo): Command {
  return addCollectionOption(
    new Command('remove')
      .description('remove documents (with their chunks) by URL or file path; the crawl forgets their pages, so the next crawl fetches them again')
      .argument('<url...>', 'URLs (as `documents list` shows them) or paths of ingested files'),
  )
    .option('--json', 'print {collection, removed, missing, chunks} as JSON')
    .addHelpText('after', '\nA URL that the collection has no document of is named, and the exit code is 1 (the others are removed).\n\nExample:\n  ragline documents remove https://docs.example.com/old-page --collection docs')
    .action(async (args: string[], flags: { collection: string; json?: boolean }) => {
      await withDatabase(io, async (db) => {
        const collection = await requireCollection(db.pool, flags.collection);
        const asked = args.map((arg) => ({ arg, urls: candidates(io, arg) }));
        const result = await removeDocuments(db.pool, collection.id, asked.flatMap((a) => a.urls));
        const removed = new Set(result.removed);
        const missing = asked.filter((a) => !a.urls.some((u) => removed.has(u))).map((a) => a.arg);
        if (flags.json) {
          io.stdout.write(`${JSON.stringify({ collection: collection.name, removed: result.removed, missing, chunks: result.chunks }, null, 2)}\n`);
        } else if (result.removed.length > 0) {
          const n = result.removed.length;
          status(io, `Removed ${formatInt(n)} document${n === 1 ? '' : 's'} (${formatInt(result.chunks)} chunks) from "${collection.name}"; the next crawl fetches ${n === 1 ? 'it' : 'them'} again.`);
        }
        if (missing.length > 0) {
          throw new ConfigError(
            'url',
            missing,
            `${missing.length} of ${args.length} URL${args.length === 1 ? '' : 's'} not found in "${collection.name}" (nothing removed for ${missing.length === 1 ? 'it' : 'them'}): ${missing.join(', ')}. \`ragline documents list -c ${collection.name}\` shows the stored URLs.`,
          );
        }
      });
    });
}

/** `ragline documents`: list and remove the documents of a collection. */
export function documentsCommand(io: CliIo): Command {
  return new Command('documents')
    .description('list or remove the documents of a collection')
    .enablePositionalOptions()
    .addCommand(listCommand(io))
    .addCommand(removeCommand(io));
}
