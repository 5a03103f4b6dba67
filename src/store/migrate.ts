import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { StoreError } from '../errors.js';

/** A migration file: `NNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** Read the numbered `.sql` files of a folder, in order. */
export async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const sql = await readFile(path.join(dir, file), 'utf8');
    const version = Number(file.split('_')[0]);
    if (out.some((m) => m.version === version)) {
      throw new StoreError(`Two migrations share version ${version} in ${dir}: renumber one of them.`);
    }
    out.push({ version, name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return out;
}

// Any constant works; it only has to be the same for every ragline process on a server.
const MIGRATION_LOCK = 7_346_211_843;

/**
 * Apply the migrations not yet applied, in order, each in its own transaction, under an advisory
 * lock so that workers starting together apply each one once. An applied migration whose file
 * changed is an error: the database was built from other SQL than the code expects.
 * @returns the names of the migrations applied now
 */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[]): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    for (const m of migrations) {
      const prior = done.get(m.version);
      if (prior) {
        if (prior.checksum !== m.checksum) {
          throw new StoreError(
            `Migration ${m.name} was changed after it was applied (checksum ${prior.checksum.slice(0, 12)} in the database, ${m.checksum.slice(0, 12)} on disk): restore the file and add a new migration instead.`,
          );
        }
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
        await client.query('COMMIT');
        applied.push(m.name);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        const message = (err as Error).message;
        const hint = /extension "vector"|vector\.control/.test(message)
          ? ' pgvector is not installed on this server: use the pgvector/pgvector image (docker compose up -d) or install postgresql-<version>-pgvector.'
          : '';
        throw new StoreError(`Migration ${m.name} failed: ${message}.${hint}`, { cause: err });
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
  return applied;
}
