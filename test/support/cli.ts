/**
 * Run the `ragline` command: in this process (`runCliInProcess`: the program of
 * src/cli/program.ts, its output collected, optionally on a database the test shares), or as the
 * built bin in a child process (`runCli`, `startCli`: for signals, kills, locks between processes,
 * exit codes of the real bin). Either way the command sees no environment but the one given (over
 * PATH and HOME).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import { runCli as runProgram } from '../../src/cli/program.js';
import type { Database } from '../../src/store/database.js';

/** The built CLI (`npm test` builds it first). */
export const cliBin = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');

/** How a run ended, with everything it printed. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link startCli}. */
export interface CliOptions {
  /** Variables on top of PATH and HOME; nothing else of the test's environment leaks in. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Start `ragline ...args`; `done` resolves when it exits. */
export function startCli(args: readonly string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [cliBin, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Run `ragline ...args` to the end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return startCli(args, options).done;
}

/** Options of {@link runCliInProcess}. */
export interface InProcessCliOptions extends CliOptions {
  /** A database every command uses, and leaves open, instead of the one the environment names. */
  database?: Database;
  /** Aborting it stops the command as Ctrl-C would. */
  signal?: AbortSignal;
  /** What the command reads as its standard input; give it `isTTY: true` to be asked questions. */
  stdin?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
}

/**
 * Run `ragline ...args` in this process, to the end: the same result as {@link runCli} (`signal`
 * always null), without starting Node or opening the database for each command.
 */
export async function runCliInProcess(args: readonly string[], options: InProcessCliOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runProgram(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.database ? { database: options.database } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.stdin ? { stdin: options.stdin } : {}),
  });
  return { code, signal: null, stdout, stderr };
}
