/**
 * A migrated, empty embedded database kept in the user's cache folder as a closed data folder: a
 * new store is a copy of it (tens of milliseconds) instead of PGlite's initdb and every migration
 * (most of the ~4 s a first `ragline ingest` spent outside the ingest) or a snapshot's unpacking
 * (~1 s). Keyed by the PGlite build and the migrations, so a new version of either makes a new one.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Migration } from './migrate.js';

/** Written last into a template folder: a folder without it is an unfinished build, never copied. */
const COMPLETE = 'ragline-template-complete';

/** The cache folder: `$XDG_CACHE_HOME/ragline`, else `~/.cache/ragline`. */
function cacheDir(): string {
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ragline');
}

/** Where the template for this PGlite build and these migrations lives; undefined if PGlite cannot be found. */
export async function templateDir(migrations: readonly Migration[]): Promise<string | undefined> {
  try {
    const pglite = await stat(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    const key = createHash('sha256')
      .update(`${pglite.size}:${pglite.mtimeMs}\n`)
      .update(migrations.map((m) => `${m.name}:${m.checksum}`).join('\n'))
      .digest('hex')
      .slice(0, 16);
    return path.join(cacheDir(), `pglite-template-${key}`);
  } catch {
    return undefined;
  }
}

/**
 * Fill the new, empty data folder `dataDir` from the template, building the template first if
 * there is none: `build(folder)` creates, migrates and closes a database in `folder`. Built aside
 * and renamed, so a concurrent process copies a whole template or builds its own.
 * @returns whether `dataDir` now holds a database; false (nothing reported) when the cache cannot
 *   be used — a read-only home, a full disk — and the caller creates the database itself
 */
export async function seedFromTemplate(template: string | undefined, dataDir: string, build: (folder: string) => Promise<void>): Promise<boolean> {
  if (!template) return false;
  try {
    if (!existsSync(path.join(template, COMPLETE))) await buildTemplate(template, build);
    await copyTree(template, dataDir);
    return true;
  } catch {
    await removeCopied(dataDir);
    return false;
  }
}

async function buildTemplate(template: string, build: (folder: string) => Promise<void>): Promise<void> {
  const partial = `${template}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(path.dirname(template), { recursive: true });
  try {
    await build(partial);
    await writeFile(path.join(partial, COMPLETE), '');
    await rename(partial, template);
  } catch (err) {
    // Another process finished the same template first: use theirs.
    if (!existsSync(path.join(template, COMPLETE))) throw err;
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/**
 * Copy a folder's files, all at once: a data folder is ~1,000 small files, which `fs.cp` copies one
 * after another in 0.5-1 s where this takes ~0.1 s.
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries
      .filter((e) => e.name !== COMPLETE)
      .map((e) => (e.isDirectory() ? copyTree(path.join(from, e.name), path.join(to, e.name)) : copyFile(path.join(from, e.name), path.join(to, e.name)))),
  );
}

/** Undo a copy that stopped half-way, keeping the folder and its lock file. */
async function removeCopied(dataDir: string): Promise<void> {
  const entries = await readdir(dataDir).catch(() => [] as string[]);
  await Promise.all(entries.filter((e) => e !== 'ragline.lock').map((e) => rm(path.join(dataDir, e), { recursive: true, force: true })));
}
