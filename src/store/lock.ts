import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { StoreError } from '../errors.js';

/** A held lock file; `release` removes it. */
export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take `dir/ragline.lock`, exclusively. PGlite has no protection against two processes opening
 * the same data folder, and two writers would corrupt it; the lock makes the second one stop with
 * a clear message instead. A lock left by a process that no longer runs is taken over.
 */
export async function acquireLock(dir: string): Promise<FileLock> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'ragline.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      let released = false;
      const release = async () => {
        if (released) return;
        released = true;
        await rm(file, { force: true });
      };
      return { path: file, release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError(`Cannot create the lock file ${file}: ${(err as Error).message}`, { cause: err });
      }
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new StoreError(
          `The embedded database in ${dir} is in use by process ${pid}: wait for it to finish, or set DATABASE_URL to a Postgres server to run several processes at once.`,
        );
      }
      await rm(file, { force: true });
    }
  }
  throw new StoreError(`Cannot take the lock ${file}: remove it if no ragline process is running.`);
}
