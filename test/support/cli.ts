/**
 * Run the built `ragline` command in a child process, as a user would: no shared state with the
 * test but the environment given (over PATH and HOME) and what it writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/package-root.js';

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
