/**
 * Run a suite against both stores: the embedded PGlite database (always) and the Postgres server
 * named by DATABASE_URL (skipped, with the reason in the suite name, when it is not set). Each
 * suite gets a fresh database of its own: in memory for PGlite, a new throwaway database on the
 * server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/database.js';

export type Backend = 'pglite' | 'postgres';

export const serverUrl = process.env.DATABASE_URL;

/** Open a fresh, migrated database of the given kind. `drop()` closes and deletes it. */
export async function freshDatabase(backend: Backend): Promise<Database & { url?: string; drop(): Promise<void> }> {
  if (backend === 'pglite') {
    const db = await openDatabase({ dataDir: 'memory://', databaseUrl: '' });
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
