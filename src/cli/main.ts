#!/usr/bin/env node
/** The `ragline` bin: the program of `program.ts` on this process's arguments, streams and signals. */
import { runCli } from './program.js';
import { processIo } from './io.js';

// `ragline search ... | head`: once the reader has gone, stop quietly, as other Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

// Nothing left to wait for while the command has not finished: a call that will never settle, as the
// embedded database's are once its disk is full. That is an error, not a quiet exit.
let finished = false;
process.on('beforeExit', () => {
  if (finished) return;
  process.stderr.write('ragline: stopped with work pending: the store stopped answering (disk full?) — nothing after the last summary was stored.\n');
  process.exit(1);
});

process.exitCode = await runCli(process.argv.slice(2), processIo());
finished = true;
