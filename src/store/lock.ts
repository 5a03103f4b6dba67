/**
 * The embedded database's lock file, exclusive between processes. A lock is `<pid>\n<token>\n`,
 * written in full to a file of its own and then hard-linked to the lock's path: `link` fails when
 * the path exists, so exactly one process creates it, and no one ever reads it empty or half
 * written. A lock left by a process that no longer runs is taken over by the one process that
 * claims that very file (`<lock>.<its identity>.taken`, created exclusively and left in place, so
 * no one claims it twice): only the claimant moves it away, so no one removes a lock another has
 * just taken. `release` removes the lock only while it is still its holder's own.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, StoreError } from '../errors.js';

/** A held lock file; `release` removes it. */
export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

/** The contents of the locks this process holds. */
const heldHere = new Set<string>();

/** Claims and files of takeovers cut short are removed once this old. */
const LEFTOVER_MS = 10 * 60_000;

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM';
  }
}

/** A lock file as read: its content, and an identity of that very file (content, inode, birth). */
interface SeenLock {
  content: string;
  identity: string;
}

/** The lock at `file`, read from one open file so content and identity agree; undefined when there is none. */
async function readLock(file: string): Promise<SeenLock | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const info = await handle.stat({ bigint: true });
    const content = await handle.readFile('utf8');
    const identity = createHash('sha256').update(`${info.dev}:${info.ino}:${info.birthtimeNs}:${content}`).digest('hex').slice(0, 32);
    return { content, identity };
  } finally {
    await handle.close();
  }
}

/** Why a lock of this content cannot be taken over: the live process holding it, or `here` for this one. */
function holder(content: string): number | 'here' | undefined {
  if (heldHere.has(content)) return 'here';
  const pid = Number(content.split('\n')[0]!.trim());
  // A lock of this process's pid that it does not hold is a previous process's (pids repeat in containers).
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

/**
 * Take over the stale lock `seen` when this process is the first to claim that very file; else
 * wait a moment (another process is taking it over) for the caller to try again.
 */
async function takeOver(file: string, seen: SeenLock, token: string): Promise<void> {
  try {
    await writeFile(`${file}.${seen.identity}.taken`, '', { flag: 'wx' });
  } catch (err) {
    if (code(err) !== 'EEXIST') throw err;
    await sleep(5);
    return;
  }
  // Only the claimant moves a lock away, so the lock's path still holds the very file claimed.
  const aside = `${file}.${token}.aside`;
  await rename(file, aside).catch((err: unknown) => {
    if (code(err) !== 'ENOENT') throw err;
  });
  await rm(aside, { force: true });
}

/** Remove old claims and the files of acquisitions cut short (killed processes); best effort. */
async function removeLeftovers(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && /\.(taken|new|aside)$/.test(n));
  for (const name of names) {
    const at = path.join(dir, name);
    const info = await stat(at).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > LEFTOVER_MS) await rm(at, { force: true }).catch(() => undefined);
  }
}

/** The lock this process now holds on `file`, of content `content`. */
function heldLock(file: string, content: string): FileLock {
  heldHere.add(content);
  let released = false;
  return {
    path: file,
    async release() {
      if (released) return;
      released = true;
      heldHere.delete(content);
      // Not ours any more (removed by hand and taken by another process): not ours to remove.
      if ((await readLock(file))?.content === content) await rm(file, { force: true });
    },
  };
}

/** The data folder cannot be created, or written in (`step`). */
function unwritable(dir: string, step: string, err: unknown): ConfigError {
  const { code: errno, message } = err as NodeJS.ErrnoException;
  const why = errno ? `${message.split(':')[1]?.split(',')[0]?.trim() || message} (${errno})` : message;
  return new ConfigError('dataDir', dir, `Cannot ${step} the data folder ${dir}: ${why}: set \`dataDir\` to a folder this user can write.`, { cause: err });
}

function inUse(dir: string, by: number | 'here'): StoreError {
  return by === 'here'
    ? new StoreError(`The embedded database in ${dir} is already open in this process: close it first, or share the one Database.`)
    : new StoreError(
        `The embedded database in ${dir} is in use by process ${by}: wait for it to finish, or set DATABASE_URL to a Postgres server to run several processes at once.`,
      );
}

/**
 * Take `dir/ragline.lock`, exclusively. PGlite has no protection against two processes opening
 * the same data folder, and two writers would corrupt it; the lock makes the second one stop with
 * a clear message instead. A lock left by a process that no longer runs is taken over.
 */
export async function acquireLock(dir: string): Promise<FileLock> {
  const file = path.join(dir, 'ragline.lock');
  const token = randomBytes(12).toString('hex');
  const content = `${process.pid}\n${token}\n`;
  const own = `${file}.${token}.new`;
  let step = 'create';
  try {
    await mkdir(dir, { recursive: true });
    step = 'write in';
    await writeFile(own, content, { flag: 'wx' });
  } catch (err) {
    throw unwritable(dir, step, err);
  }
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      try {
        await link(own, file);
        await removeLeftovers(file);
        return heldLock(file, content);
      } catch (err) {
        if (code(err) !== 'EEXIST') throw new StoreError(`Cannot create the lock file ${file}: ${(err as Error).message}`, { cause: err });
      }
      const seen = await readLock(file);
      if (seen === undefined) continue;
      const by = holder(seen.content);
      if (by !== undefined) throw inUse(dir, by);
      await takeOver(file, seen, token);
    }
  } finally {
    await rm(own, { force: true });
  }
  throw new StoreError(`Cannot take the lock ${file}: remove it if no ragline process is running.`);
}
