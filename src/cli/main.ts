#!/usr/bin/env node
import { Command } from 'commander';
import { packageVersion } from '../package-root.js';
import { ingestCommand } from './ingest-command.js';
import { searchCommand } from './search-command.js';
import { askCommand } from './ask-command.js';
import { collectionsCommand } from './collections-command.js';
import { demoCommand } from './demo-command.js';
import { serveCommand } from './serve-command.js';
import { minutesCommand } from './minutes-command.js';
import { jobsCommand } from './jobs-command.js';
import { workerCommand } from './worker-command.js';
import { reportError } from './context.js';

const program = new Command('ragline')
  .description('Retrieval/Q&A pipelines on the OpenAI API with Postgres/pgvector: crawl, chunk, embed, store, ask.')
  .version(packageVersion())
  // Options belong to the command they follow, so `collections --json` and `collections index <name> --json` are each their own.
  .enablePositionalOptions()
  .showHelpAfterError('(add --help for usage)')
  .addHelpText(
    'after',
    `
Environment:
  OPENAI_API_KEY     use OpenAI models (otherwise the offline local models)
  OPENAI_BASE_URL    an OpenAI-compatible server (Ollama, vLLM, LM Studio, ...)
  DATABASE_URL       a Postgres server with pgvector (otherwise the embedded database)
  RAGLINE_DATA_DIR   folder of the embedded database (default ./.ragline)
  RAGLINE_DEBUG      print stack traces and causes of errors`,
  );

for (const cmd of [ingestCommand(), searchCommand(), askCommand(), collectionsCommand(), demoCommand(), serveCommand(), minutesCommand(), jobsCommand(), workerCommand()]) program.addCommand(cmd);

// `ragline search ... | head`: once the reader has gone, stop quietly, as other Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

program.parseAsync(process.argv).catch((err: unknown) => {
  process.exitCode = reportError(err);
});
