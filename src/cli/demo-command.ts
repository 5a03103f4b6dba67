import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { askStream } from '../core/ask.js';
import { ingest } from '../core/ingest.js';
import { packageRoot } from '../package-root.js';
import { serveStatic, type StaticServer } from '../net/static-server.js';
import { dropCollection } from '../store/collection-changes.js';
import { describeModels, resolveChatModel } from '../models/resolve.js';
import { ingestEmbeddingModel, summaryLine } from './ingest-command.js';
import { formatSources } from './ask-command.js';
import { modelSelection, parseInteger, status, withDatabase } from './context.js';
import { openAIConnection, type CliIo } from './io.js';

const COLLECTION = 'demo';

async function serveDemoSite(root: string, port: number): Promise<{ server: StaticServer; fixedPort: boolean }> {
  try {
    return { server: await serveStatic(root, { port }), fixedPort: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return { server: await serveStatic(root), fixedPort: false };
  }
}

export function demoCommand(io: CliIo): Command {
  return new Command('demo')
    .description('serve the bundled demo docs site on loopback, ingest it into collection "demo", and answer three questions')
    .option('--port <n>', 'port for the demo site (a free one is used if taken)', parseInteger('port'), 4517)
    .action(async (flags: { port: number }) => {
      const root = path.join(packageRoot(), 'demo-site');
      const { questions } = JSON.parse(readFileSync(path.join(root, 'demo.json'), 'utf8')) as { questions: string[] };
      const { server, fixedPort } = await serveDemoSite(root, flags.port);
      try {
        await withDatabase(io, async (db, signal) => {
          status(io, `Serving the bundled demo site at ${server.url}`);
          status(io, `Store: ${db.description}`);
          if (!fixedPort && (await dropCollection(db.pool, COLLECTION))) {
            // Page URLs include the port: with another port, old pages would linger as duplicates.
            status(io, `Port ${flags.port} is taken, so the site runs on port ${server.port}; collection "${COLLECTION}" was reset.`);
          }
          const { model, reason } = await ingestEmbeddingModel(io, db, { collection: COLLECTION });
          const { provider, reason: chatReason, selection } = modelSelection(io, {});
          const chat = resolveChatModel(provider, selection);
          status(io, describeModels({ embedding: model, chat }, reason === chatReason ? reason : `${reason}; chat: ${chatReason}`));
          const summary = await ingest({ db, source: server.url, collection: COLLECTION, embedding: model, crawl: { allowPrivateNetwork: true }, signal });
          status(io, summaryLine(summary));
          for (const question of questions) {
            io.stdout.write(`\nQ: ${question}\nA: `);
            for await (const event of askStream({ db, collection: COLLECTION, question, chat, connection: openAIConnection(io), signal })) {
              if (event.type === 'text') io.stdout.write(event.text);
              if (event.type === 'done') io.stdout.write(`\n${formatSources(event.sources)}\n`);
            }
          }
          status(io, `\nTry your own: npx ragline ask "how do I retry failed jobs?" --collection ${COLLECTION}`);
          status(io, 'Or ingest your site: npx ragline ingest https://docs.example.com --collection docs');
        });
      } finally {
        await server.close();
      }
    });
}
