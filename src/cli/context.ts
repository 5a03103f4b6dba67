/** What every command shares: options common to all, opening the store, choosing models, errors. */
import { Option, type Command } from 'commander';
import { ConfigError, RaglineError, describeValue } from '../errors.js';
import { checkInteger } from '../options/check.js';
import { DEFAULT_COLLECTION } from '../options/defaults.js';
import { flagMessage } from './option-flags.js';
import { openDatabase, type Database } from '../store/database.js';
import { defaultProvider, providerNames, type ModelSelection } from '../models/resolve.js';
import { openAIConnection, resolvePath, type CliIo } from './io.js';

/** Options every command that touches models accepts: the model part of `ModelSelection`. */
export type ModelFlags = Pick<ModelSelection, 'provider' | 'embeddingModel' | 'dimensions' | 'chatModel' | 'contextWindow' | 'maxOutputTokens'>;

/**
 * Commander parser of an integer flag, at least `min`. `option` is the flag's name in camel case
 * (`maxPages` for `--max-pages`), as errors name it; what is not a number is shown as written.
 */
export function parseInteger(option: string, min = 1) {
  return (value: string): number => {
    // Decimal digits only: Number() would also read `0x10`, `1e9`, `0b11` and ` `, which nobody
    // means as a count; past 2^53 a number no longer reads back as written.
    const n = /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
    return checkInteger(option, Number.isSafeInteger(n) ? n : value, { min });
  };
}

/** A flag's help with the default the library applies when the flag is not given. */
export function withDefault(help: string, value: string | number): string {
  return `${help} (default: ${value})`;
}

/**
 * Commander accumulator of a repeatable `--<flag> key=value` option into an object. The value is
 * parsed as JSON when it is valid JSON (`3`, `true`, `null`, `["a","b"]`, `"quoted"`), else kept as
 * the string it is — and so is a number that would not read back as written (`3.10`, `007`, `1e3`:
 * version strings, not numbers). A key given twice is an error.
 */
export function collectKeyValue(flag: string) {
  return (value: string, previous: Record<string, unknown> | undefined): Record<string, unknown> => {
    const eq = value.indexOf('=');
    const key = eq < 0 ? '' : value.slice(0, eq).trim();
    if (key === '') {
      throw new ConfigError(flag, value, `Expected --${flag} to be key=value (for example --${flag} product=api), got ${describeValue(value)}.`);
    }
    if (previous !== undefined && Object.hasOwn(previous, key)) {
      throw new ConfigError(flag, value, `--${flag} gives "${key}" twice: give each key once (a JSON array such as ${key}='["a","b"]' holds several values).`);
    }
    const raw = value.slice(eq + 1);
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      // Not JSON: the value is the string as written.
    }
    if (typeof parsed === 'number' && String(parsed) !== raw.trim()) parsed = raw;
    return { ...previous, [key]: parsed };
  };
}

export function addCollectionOption(cmd: Command): Command {
  return cmd.option('-c, --collection <name>', 'collection to use', DEFAULT_COLLECTION);
}

export function addModelOptions(cmd: Command, which: { embedding?: boolean; chat?: boolean }): Command {
  cmd.addOption(new Option('--provider <name>', 'model provider (default: openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else local)').choices(providerNames()));
  if (which.embedding) {
    cmd.option('--embedding-model <id>', 'embedding model (default: text-embedding-3-small, or lexical-hash-v1 offline)');
    cmd.option('--dimensions <n>', 'vector length, for text-embedding-3-* or unknown models', parseInteger('dimensions'));
  }
  if (which.chat) {
    cmd.option('--chat-model <id>', 'chat model (default: gpt-4o-mini, or extractive-v1 offline)');
    cmd.option('--context-window <tokens>', "context window of a chat model ragline doesn't know", parseInteger('contextWindow', 256));
    cmd.option('--max-output-tokens <tokens>', 'output limit of such a model', parseInteger('maxOutputTokens'));
  }
  return cmd;
}

/**
 * The provider and selection the flags and the run's environment ask for, with the reason to
 * print. The selection carries the environment's API key and base URL.
 */
export function modelSelection(io: CliIo, flags: ModelFlags): { provider: string; reason: string; selection: ModelSelection } {
  const env = defaultProvider(io.env);
  const provider = flags.provider ?? env.provider;
  const reason = flags.provider ? `--provider ${flags.provider}` : env.reason;
  // Only the model flags, and only those given: unset ones leave the providers' defaults.
  const keys = ['embeddingModel', 'dimensions', 'chatModel', 'contextWindow', 'maxOutputTokens'] as const;
  const selection = Object.fromEntries(keys.filter((k) => flags[k] !== undefined).map((k) => [k, flags[k]])) as ModelSelection;
  return { provider, reason, selection: { ...openAIConnection(io), ...selection } };
}

/** Print a status line on stderr (stdout stays clean for answers and --json). */
export function status(io: CliIo, line: string): void {
  io.stderr.write(`${line}\n`);
}

/**
 * Run `fn` on the run's database: the one `io` shares (left open), else the one its environment
 * names (DATABASE_URL, else RAGLINE_DATA_DIR, else ./.ragline), opened for `fn` and closed after.
 */
export async function useDatabase<T>(io: CliIo, fn: (db: Database) => Promise<T>): Promise<T> {
  if (io.database) return fn(io.database);
  const db = await openDatabase({ databaseUrl: io.env.DATABASE_URL ?? '', dataDir: resolvePath(io, io.env.RAGLINE_DATA_DIR ?? './.ragline') });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * An abort signal for a command, fired by `io.signal` and — for the bin — by the first Ctrl-C or
 * SIGTERM; a second one exits at once. `onStop` is called once, before the signal fires.
 */
async function withStopSignal<T>(io: CliIo, onStop: () => void, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = () => {
    if (controller.signal.aborted) return;
    onStop();
    controller.abort(new RaglineError('aborted', 'Interrupted by the user; everything stored so far is kept.'));
  };
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    stop();
  };
  if (io.signal?.aborted) stop();
  io.signal?.addEventListener('abort', stop, { once: true });
  if (io.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    return await fn(controller.signal);
  } finally {
    io.signal?.removeEventListener('abort', stop);
    if (io.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/**
 * Open the store, run `fn`, close the store — also on Ctrl-C, so the embedded database is
 * flushed and its lock released. The abort signal tells `fn` to stop early.
 */
export async function withDatabase<T>(io: CliIo, fn: (db: Database, signal: AbortSignal) => Promise<T>): Promise<T> {
  return withStopSignal(
    io,
    () => status(io, '\nStopping: finishing the current write (Ctrl-C again to force)...'),
    (signal) => useDatabase(io, (db) => fn(db, signal)),
  );
}

/** Print an error as one line (with the cause chain when RAGLINE_DEBUG is set) and pick the exit code. */
export function reportError(io: CliIo, err: unknown): number {
  const debug = Boolean(io.env.RAGLINE_DEBUG);
  if (err instanceof RaglineError) {
    status(io, `ragline: ${flagMessage(err)}`);
  } else if (err instanceof Error && err.name === 'AbortError') {
    status(io, 'ragline: interrupted.');
  } else {
    status(io, `ragline: unexpected error: ${err instanceof Error ? err.message : String(err)} (set RAGLINE_DEBUG=1 for details)`);
  }
  if (debug) {
    let e: unknown = err;
    while (e instanceof Error) {
      status(io, e.stack ?? String(e));
      e = e.cause;
      if (e) status(io, 'caused by:');
    }
  }
  return err instanceof RaglineError && err.code === 'aborted' ? 130 : 1;
}
