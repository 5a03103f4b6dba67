/**
 * The `ragline` program, runnable in-process: `main.ts` (the bin) runs it on the process's
 * arguments and streams; a test runs it on strings it collects, against a database it shares.
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../package-root.js';
import { ingestCommand } from './ingest-command.js';
import { searchCommand } from './search-command.js';
import { askCommand } from './ask-command.js';
import { collectionsCommand } from './collections-command.js';
import { documentsCommand } from './documents-command.js';
import { demoCommand } from './demo-command.js';
import { serveCommand } from './serve-command.js';
import { minutesCommand } from './minutes-command.js';
import { jobsCommand } from './jobs-command.js';
import { workerCommand } from './worker-command.js';
import { evalCommand } from './eval-command.js';
import { reportError } from './context.js';
import { processIo, type CliIo, type OutputSink } from './io.js';

/** Whether commander may colour text for this sink (the NO_COLOR / FORCE_COLOR conventions, read from the run's env). */
function hasColors(io: CliIo, sink: OutputSink): boolean {
  const { NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE } = io.env;
  if (NO_COLOR || FORCE_COLOR === '0' || FORCE_COLOR === 'false') return false;
  if (FORCE_COLOR || CLICOLOR_FORCE !== undefined) return true;
  return sink.isTTY === true && sink.hasColors?.() === true;
}

/**
 * Commander's help and errors through `io`, and a thrown `CommanderError` where it would exit the
 * process; for every command, as `addCommand` does not pass these settings on.
 */
function routeOutput(cmd: Command, io: CliIo): void {
  cmd
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      // Off a terminal commander's own default is undefined too (80 columns), whatever its typings say.
      getOutHelpWidth: () => (io.stdout.isTTY ? io.stdout.columns : undefined) as number,
      getErrHelpWidth: () => (io.stderr.isTTY ? io.stderr.columns : undefined) as number,
      getOutHasColors: () => hasColors(io, io.stdout),
      getErrHasColors: () => hasColors(io, io.stderr),
    })
    .exitOverride();
  for (const sub of cmd.commands) routeOutput(sub, io);
}

/** The `ragline` program, every command writing through `io`. Build one per run: commander keeps parse state. */
export function cliProgram(io: CliIo): Command {
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
  RAGLINE_DEBUG      print stack traces and causes of errors

Exit codes:
  0    done
  1    error (one line on stderr says what and what to do)
  2    usage: an unknown command or flag, a missing argument, a bad flag value
  130  interrupted (Ctrl-C or SIGTERM); everything stored so far is kept`,
    );
  const commands = [ingestCommand, searchCommand, askCommand, collectionsCommand, documentsCommand, demoCommand, serveCommand, minutesCommand, jobsCommand, workerCommand, evalCommand];
  for (const command of commands) program.addCommand(command(io));
  routeOutput(program, io);
  return program;
}

/** Exit code of a usage error: an unknown command or flag, a missing argument, a flag value that does not parse. */
export const USAGE_EXIT_CODE = 2;

/**
 * Run `ragline ...argv` (the arguments after the program name) and resolve to its exit code:
 * 0; 1 for an error (printed as one line on `io.stderr`); 2 for a usage error (commander's
 * message, or the one line of a flag value that does not parse); 130 when interrupted; 0 for
 * `--help` and `--version`. Never exits the process.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  // Set once the flags have parsed and a command's action starts: an error before is a usage error.
  let acting = false;
  try {
    const program = cliProgram(io).hook('preAction', () => {
      acting = true;
    });
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    // Commander has printed its own message (or the help) already.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    const code = reportError(io, err);
    return acting || code !== 1 ? code : USAGE_EXIT_CODE;
  }
}
