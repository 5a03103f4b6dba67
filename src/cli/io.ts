/**
 * What a run of the CLI reads and writes besides its arguments: output sinks, the environment,
 * the working folder, and optionally a database it shares with its caller. The bin passes the
 * process's own; a test passes strings to collect and an environment of its own.
 */
import path from 'node:path';
import type { Database } from '../store/database.js';
import type { OpenAIConnectionOptions } from '../models/openai/client.js';

/** Where text goes: `process.stdout` and `process.stderr` are ones, and so is a string collector. */
export interface OutputSink {
  write(text: string): unknown;
  /** A terminal: progress bars are drawn, help is wrapped to `columns`. */
  readonly isTTY?: boolean;
  readonly columns?: number;
  hasColors?(): boolean;
}

/** The world of one CLI run. */
export interface CliIo {
  /**
   * Where answers to questions come from (`collections delete` asks before deleting); questions
   * are asked only when it is a terminal (`isTTY`).
   * @default none: nothing is asked, a command that would ask refuses instead
   */
  stdin?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** Answers, tables and `--json` output. */
  stdout: OutputSink;
  /** Status lines, progress, errors. */
  stderr: OutputSink;
  /**
   * The environment the commands read (DATABASE_URL, RAGLINE_DATA_DIR, OPENAI_API_KEY,
   * OPENAI_BASE_URL, OPENAI_TRANSCRIPTION_BASE_URL, RAGLINE_API_KEYS, RAGLINE_DEBUG, ...).
   */
  env: NodeJS.ProcessEnv;
  /**
   * Folder that relative paths of files read or written (sources, `--out`, RAGLINE_DATA_DIR) are
   * resolved against.
   * @default process.cwd()
   */
  cwd?: string;
  /**
   * A database opened by the caller, used by every command instead of opening one from the
   * environment, and left open: many commands can run against one store.
   * @default none: each command opens and closes the database the environment names
   */
  database?: Database;
  /** Aborting it stops a running command as Ctrl-C does (`serve` and `worker` stop). */
  signal?: AbortSignal;
  /**
   * Handle SIGINT and SIGTERM of the process (the real bin): stop gracefully, force on a second.
   * @default false
   */
  handleSignals?: boolean;
}

/** The process's own streams and environment: the bin. */
export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, handleSignals: true };
}

/** A path given on the command line, resolved against the run's folder when it has its own. */
export function resolvePath(io: CliIo, p: string): string {
  return io.cwd === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? p : path.resolve(io.cwd, p);
}

/** How to reach the OpenAI API, as the run's environment says (not the process's). */
export function openAIConnection(io: CliIo): OpenAIConnectionOptions {
  return {
    ...(io.env.OPENAI_API_KEY ? { apiKey: io.env.OPENAI_API_KEY } : {}),
    ...(io.env.OPENAI_BASE_URL ? { baseURL: io.env.OPENAI_BASE_URL } : {}),
  };
}
