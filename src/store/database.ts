/**
 * One database code path: everything talks to a `pg.Pool`. With a URL it is a Postgres server;
 * without, the embedded default — PGlite with pgvector behind node-postgres, data in a folder.
 * The drivers are loaded when a database is opened (PGlite only for the embedded one), not when
 * ragline is imported.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { ConfigError, StoreError } from '../errors.js';
import { acquireLock, type FileLock } from './lock.js';
import { describeDriverError } from './open-error.js';
import { migrate, readMigrations } from './migrate.js';
import { seedFromTemplate, templateDir } from './pglite-template.js';
import { registerBlobCopy } from './copy.js';
import { packageRoot } from '../package-root.js';

let pgDriver: Promise<typeof import('pg')> | undefined;
let pgliteDriver: Promise<PGliteDriver> | undefined;

interface PGliteDriver {
  PGlite: typeof import('@electric-sql/pglite').PGlite;
  vector: typeof import('@electric-sql/pglite-pgvector').vector;
  createPgConfig: typeof import('@electric-sql/pglite/node-postgres').createPgConfig;
  pg: typeof import('pg');
}

/** node-postgres, loaded once. */
function loadPg(): Promise<typeof import('pg')> {
  return (pgDriver ??= import('pg'));
}

/**
 * PGlite, pgvector and the node-postgres adapter, loaded once and one module at a time: they share
 * chunks, and Jest's ESM loader fails when two imports link the same chunk at once.
 */
function loadPGlite(): Promise<PGliteDriver> {
  return (pgliteDriver ??= (async () => {
    const pg = await loadPg();
    const { PGlite } = await import('@electric-sql/pglite');
    const { vector } = await import('@electric-sql/pglite-pgvector');
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
    return { PGlite, vector, createPgConfig, pg };
  })());
}

/** Where the data lives. */
export interface DatabaseOptions {
  /**
   * A Postgres connection string. When set, the server is used and `dataDir` is ignored.
   * @default process.env.DATABASE_URL
   */
  databaseUrl?: string;
  /**
   * Folder of the embedded database; `memory://` keeps it in memory (tests).
   * @default process.env.RAGLINE_DATA_DIR, else './.ragline'
   */
  dataDir?: string;
  /**
   * Start a new embedded database from a snapshot taken with `dumpDataDir()` instead of an empty
   * one (a prepared fixture, a copy of another store). Ignored for an existing data folder and for
   * the server.
   * @default an empty database
   */
  loadDataDir?: Blob;
  /**
   * Connections in the pool (server only; the embedded database has exactly one).
   * @default 10
   */
  maxConnections?: number;
  /**
   * Apply pending migrations on open.
   * @default true
   */
  migrate?: boolean;
}

/** An open database. */
export interface Database {
  readonly pool: pg.Pool;
  readonly kind: 'postgres' | 'pglite';
  /** Human description, safe to print: no password. */
  readonly description: string;
  /** Close the pool (and the embedded database, flushing it to disk). Idempotent. */
  close(): Promise<void>;
  /**
   * The embedded database's data folder as a tar archive, for `loadDataDir`; undefined on a
   * server (use pg_dump there).
   */
  dumpDataDir?(): Promise<Blob>;
}

/** The package's `migrations/` folder. */
export function migrationsDir(): string {
  return path.join(packageRoot(), 'migrations');
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return `${u.protocol}//${u.username ? `${u.username}${u.password ? ':***' : ''}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres (unparseable DATABASE_URL)';
  }
}

/** Schemes of the connection strings node-postgres reads as such (`socket:` for a Unix socket). */
const POSTGRES_SCHEMES = ['postgres:', 'postgresql:', 'socket:'];

/**
 * A `ConfigError` unless `url` is a connection string node-postgres reads as meant: a
 * `postgres://` URL (or `socket:`, or a socket folder's path). Anything else it would read as a
 * path relative to `postgres://base`, and look up a host named `base`.
 */
function checkDatabaseUrl(url: string): void {
  if (url.startsWith('/')) return;
  const encoded = /[ %]/.test(url) ? encodeURI(url).replace(/%25(\d\d)/g, '%$1') : url;
  let protocol: string | undefined;
  for (const candidate of [encoded, encoded.replace('@/', '@host/')]) {
    try {
      protocol = new URL(candidate).protocol;
      break;
    } catch {
      // Not a URL as written: try with a host, as node-postgres does for `user@/database`.
    }
  }
  if (protocol === undefined || !POSTGRES_SCHEMES.includes(protocol)) {
    // The value itself is not shown: it may hold a password.
    const why = protocol === undefined ? 'it is not a URL' : `its scheme is ${protocol}`;
    throw new ConfigError(
      'databaseUrl',
      undefined,
      `\`databaseUrl\` is not a Postgres connection string (postgres://user:password@host:5432/database): ${why}.`,
    );
  }
}

async function openServer(url: string, max: number): Promise<Database> {
  checkDatabaseUrl(url);
  const { default: pg } = await loadPg();
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new StoreError(`Cannot connect to ${redact(url)}: ${(err as Error).message}. Check DATABASE_URL and that the server is running.`, { cause: err });
  }
  let closed = false;
  return {
    pool,
    kind: 'postgres',
    description: `Postgres at ${redact(url)}`,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

async function openEmbedded(dataDir: string, loadDataDir: Blob | undefined, migrate: boolean): Promise<Database> {
  const inMemory = dataDir.startsWith('memory://');
  const lock: FileLock | undefined = inMemory ? undefined : await acquireLock(dataDir);
  try {
    const { PGlite, vector, createPgConfig, pg: { default: pg } } = await loadPGlite();
    const isNew = inMemory || !existsSync(path.join(dataDir, 'PG_VERSION'));
    // A new store on disk is a copy of the cached migrated empty one (made by the first new store).
    if (isNew && !inMemory && !loadDataDir && migrate) await seedFromTemplate(await templateDir(await readMigrations(migrationsDir())), dataDir, buildTemplateDatabase);
    // A snapshot only seeds a new database: an existing data folder is never overwritten.
    const seed = loadDataDir && isNew ? { loadDataDir } : {};
    const db = await PGlite.create({ ...(inMemory ? {} : { dataDir }), ...seed, extensions: { vector } });
    const pool = new pg.Pool(createPgConfig(db) as unknown as pg.PoolConfig);
    // Bulk writes read binary COPY data from a blob: no text vectors to parse in WASM.
    registerBlobCopy(pool, async (sql, blob) => (await db.query(sql, [], { blob })).affectedRows ?? 0);
    let closed = false;
    const database: Database = {
      pool,
      kind: 'pglite',
      description: inMemory ? 'embedded database in memory' : `embedded database in ${dataDir}`,
      dumpDataDir: () => db.dumpDataDir('none') as Promise<Blob>,
      async close() {
        if (closed) return;
        closed = true;
        try {
          await pool.end();
          await db.close();
        } finally {
          await lock?.release();
        }
      },
    };
    return database;
  } catch (err) {
    await lock?.release();
    throw new StoreError(`Cannot open the embedded database in ${dataDir}: ${describeDriverError(err)}.`, { cause: err });
  }
}

/** Create, migrate and close an embedded database in `folder`: the template new stores are copied from. */
async function buildTemplateDatabase(folder: string): Promise<void> {
  const { PGlite, vector, createPgConfig, pg: { default: pg } } = await loadPGlite();
  const db = await PGlite.create({ dataDir: folder, extensions: { vector } });
  const pool = new pg.Pool(createPgConfig(db) as unknown as pg.PoolConfig);
  try {
    await migrate(pool, await readMigrations(migrationsDir()));
  } finally {
    await pool.end();
    await db.close();
  }
}

/** Open the database the options (or the environment) name, migrated to the current schema. */
export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  const url = options.databaseUrl ?? process.env.DATABASE_URL;
  const db = url ? await openServer(url, options.maxConnections ?? 10) : await openEmbedded(options.dataDir ?? process.env.RAGLINE_DATA_DIR ?? './.ragline', options.loadDataDir, options.migrate !== false);
  if (options.migrate !== false) {
    try {
      await migrate(db.pool, await readMigrations(migrationsDir()));
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
  }
  return db;
}
