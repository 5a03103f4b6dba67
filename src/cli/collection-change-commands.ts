/** `ragline collections delete` and `ragline collections rename`. */
import { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { listCollections, requireCollection } from '../store/collections.js';
import { deleteCollection, renameCollection } from '../store/collection-changes.js';
import { confirm } from './confirm.js';
import { status, withDatabase } from './context.js';
import { formatInt } from './format.js';
import type { CliIo } from './io.js';

/** `16 documents, 80 chunks` */
const holdings = (documents: number, chunks: number): string => `${formatInt(documents)} document${documents === 1 ? '' : 's'}, ${formatInt(chunks)} chunk${chunks === 1 ? '' : 's'}`;

/** `ragline collections delete <name>`: asks first on a terminal, refuses elsewhere without --yes. */
export function deleteCommand(io: CliIo): Command {
  return new Command('delete')
    .description('delete a collection with its documents, chunks, index, crawl state and jobs (asks first on a terminal)')
    .argument('<name>', 'the collection')
    .option('-y, --yes', 'delete without asking (needed when stdin is not a terminal)')
    .option('--json', 'print {name, documents, chunks, crawls, jobs} removed as JSON')
    .addHelpText('after', '\nExamples:\n  ragline collections delete old-docs\n  ragline collections delete old-docs --yes --json')
    .action(async (name: string, flags: { yes?: boolean; json?: boolean }) => {
      await withDatabase(io, async (db, signal) => {
        await requireCollection(db.pool, name);
        if (!flags.yes) {
          const stats = (await listCollections(db.pool)).find((c) => c.name === name);
          const what = `collection "${name}" (${holdings(stats?.documents ?? 0, stats?.chunks ?? 0)})`;
          const answer = await confirm(io, `Delete ${what}, its crawl state and jobs? This cannot be undone.`, signal);
          if (answer === undefined) {
            throw new ConfigError('yes', undefined, `Refusing to delete ${what} without confirmation: stdin is not a terminal; add --yes to delete it.`);
          }
          if (!answer) throw new ConfigError('yes', undefined, `Not deleted: the answer was not "yes"; ${what} is kept.`);
        }
        const deleted = await deleteCollection(db.pool, name);
        if (flags.json) {
          io.stdout.write(`${JSON.stringify(deleted, null, 2)}\n`);
          return;
        }
        const extra = [deleted.crawls ? `the crawl state of ${deleted.crawls} start URL${deleted.crawls === 1 ? '' : 's'}` : '', deleted.jobs ? `${deleted.jobs} job${deleted.jobs === 1 ? '' : 's'}` : ''].filter(Boolean);
        status(io, `Deleted collection "${name}": ${holdings(deleted.documents, deleted.chunks)}${extra.length ? `, ${extra.join(', ')}` : ''}.`);
      });
    });
}

/** `ragline collections rename <old> <new>`. */
export function renameCommand(io: CliIo): Command {
  return new Command('rename')
    .description('rename a collection (refused if the new name exists); its queued jobs follow it')
    .argument('<old>', 'the collection')
    .argument('<new>', 'its new name')
    .option('--json', 'print {from, to, jobs} as JSON')
    .addHelpText('after', '\nExample:\n  ragline collections rename docs docs-v1')
    .action(async (from: string, to: string, flags: { json?: boolean }) => {
      await withDatabase(io, async (db) => {
        const renamed = await renameCollection(db.pool, from, to);
        if (flags.json) io.stdout.write(`${JSON.stringify(renamed, null, 2)}\n`);
        else status(io, `Renamed collection "${from}" to "${to}"${renamed.jobs ? ` (and its ${renamed.jobs} job${renamed.jobs === 1 ? '' : 's'})` : ''}.`);
      });
    });
}
