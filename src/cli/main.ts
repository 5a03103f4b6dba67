#!/usr/bin/env node
/** The `ragline` bin: the program of `program.ts` on this process's arguments, streams and signals. */
import { runCli } from './program.js';
import { processIo } from './io.js';

// `ragline search ... | head`: once the reader has gone, stop quietly, as other Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

process.exitCode = await runCli(process.argv.slice(2), processIo());
