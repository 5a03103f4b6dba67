import { Command } from 'commander';
import { listCollections } from '../store/collections.js';
import { status, withDatabase } from './context.js';
import { formatInt } from './format.js';

export function collectionsCommand(): Command {
  return new Command('collections')
    .description('list collections with their embedding model and document and chunk counts')
    .option('--json', 'print a JSON array of {name, embeddingProvider, embeddingModel, dimensions, documents, chunks, tokens}')
    .action(async (flags: { json?: boolean }) => {
      await withDatabase(async (db) => {
        const rows = await listCollections(db.pool);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        status(`Store: ${db.description}`);
        if (rows.length === 0) {
          process.stdout.write('No collections yet: run `ragline ingest <url|folder> --collection <name>`.\n');
          return;
        }
        const table = [
          ['NAME', 'EMBEDDING MODEL', 'DIMS', 'DOCUMENTS', 'CHUNKS', 'TOKENS'],
          ...rows.map((r) => [r.name, `${r.embeddingProvider}/${r.embeddingModel}`, String(r.dimensions), formatInt(r.documents), formatInt(r.chunks), formatInt(r.tokens)]),
        ];
        const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        for (const row of table) process.stdout.write(`${row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ')}\n`);
      });
    });
}
