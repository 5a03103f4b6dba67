/**
 * Run a suite against both stores: the embedded PGlite database (always) and the Postgres server
 * named by DATABASE_URL (skipped, with the reason in the suite name, when it is not set). Each
 * suite gets a fresh database of its own: in memory for PGlite, a new throwaway database on the
 * server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrationsDir, openDatabase, type Database } from '../../src/store/database.js';
import { readMigrations } from '../../src/store/migrate.js';

export type Backend = 'pglite' | 'postgres';

export const serverUrl = process.env.DATABASE_URL;

let template: Promise<Blob> | undefined;

/**
 * A migrated, empty embedded database as a snapshot, made once per machine and schema and kept in
 * the temp folder: seeding from it takes ~0.3 s where initdb and the migrations take ~1.5-2 s.
 */
function pgliteTemplate(): Promise<Blob> {
  return (template ??= (async () => {
    const migrations = await readMigrations(migrationsDir());
    const key = createHash('sha256').update(migrations.map((m) => `${m.name}:${m.checksum}`).join('\n')).digest('hex').slice(0, 16);
    const file = path.join(os.tmpdir(), `ragline-test-pglite-${key}.tar`);
    const cached = await readFile(file).catch(() => undefined);
    if (cached) return new Blob([cached]);
    const db = await openDatabase({ dataDir: 'memory://', databaseUrl: '' });
    try {
      const blob = await db.dumpDataDir!();
      // Written aside, then renamed: a test file in another worker reads a whole snapshot or none.
      const partial = `${file}.${process.pid}.partial`;
      await writeFile(partial, Buffer.from(await blob.arrayBuffer()));
      await rename(partial, file);
      return blob;
    } finally {
      await db.close();
    }
  })());
}

/** Open a fresh, migrated database of the given kind. `drop()` closes and deletes it. */
export async function freshDatabase(backend: Backend): Promise<Database & { url?: string; drop(): Promise<void> }> {
  if (backend === 'pglite') {
    const db = await openDatabase({ dataDir: 'memory://', databaseUrl: '', loadDataDir: await pgliteTemplate() });
    return Object.assign(db, { drop: () => db.close() });
  }
  if (!serverUrl) throw new Error('DATABASE_URL is not set');
  const name = `ragline_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.href, maxConnections: 5 });
  return Object.assign(db, {
    url: url.href,
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  });
}

/** `describe` once per backend; the server suite is skipped with its reason when DATABASE_URL is unset. */
export function describeEachDatabase(title: string, body: (backend: Backend) => void): void {
  describe(`${title} [embedded PGlite]`, () => body('pglite'));
  if (serverUrl) describe(`${title} [Postgres server]`, () => body('postgres'));
  else describe.skip(`${title} [Postgres server] — skipped: DATABASE_URL is not set`, () => body('postgres'));
}
