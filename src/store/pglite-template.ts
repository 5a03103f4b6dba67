/**
 * A snapshot of a new, migrated embedded database, kept in the user's cache folder: a new store is
 * seeded from it instead of running PGlite's initdb and every migration (most of the ~4 s, and far
 * more on a loaded machine, that a first `ragline ingest` spent outside the ingest). Keyed by the
 * PGlite build and the migrations, so a new version of either makes a new snapshot.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Migration } from './migrate.js';

/** The cache folder: `$XDG_CACHE_HOME/ragline`, else `~/.cache/ragline`. */
function cacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ragline');
}

/** Where the snapshot for this PGlite build and these migrations lives. */
export async function templatePath(migrations: readonly Migration[]): Promise<string | undefined> {
  try {
    const pglite = await stat(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    const key = createHash('sha256')
      .update(`${pglite.size}:${pglite.mtimeMs}\n`)
      .update(migrations.map((m) => `${m.name}:${m.checksum}`).join('\n'))
      .digest('hex')
      .slice(0, 16);
    return path.join(cacheDir(), `pglite-template-${key}.tar`);
  } catch {
    return undefined;
  }
}

/** The snapshot, if one was saved. */
export async function readTemplate(file: string | undefined): Promise<Blob | undefined> {
  if (!file) return undefined;
  const bytes = await readFile(file).catch(() => undefined);
  return bytes ? new Blob([bytes]) : undefined;
}

/**
 * Save the snapshot of a database just created and migrated (nothing of the user's in it yet).
 * Written aside and renamed, so a reader finds a whole snapshot or none. A failure only means the
 * next new store runs initdb again: it is not reported.
 */
export async function saveTemplate(file: string | undefined, dump: () => Promise<Blob>): Promise<void> {
  if (!file) return;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, Buffer.from(await (await dump()).arrayBuffer()));
    await rename(partial, file);
  } catch {
    // A read-only home or a full disk: the cache is an optimisation.
  }
}
