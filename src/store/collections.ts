import type pg from 'pg';
import { ConfigError, describeValue } from '../errors.js';
import { checkInteger } from '../options/check.js';
import type { EmbeddingModel } from '../models/spec.js';
import { cosineOpsClass, sqlInt, vectorType } from './vector-sql.js';
import { withTransaction } from './transaction.js';

/**
 * A collection's HNSW settings; an unset one is pgvector's default. `m` and `efConstruction` shape
 * the graph and apply when the index is built; `efSearch` applies to every search.
 */
export interface HnswSettings {
  /**
   * Neighbours per node: more means better recall and a bigger, slower-to-build index.
   * @default 16 (pgvector's default)
   */
  m?: number;
  /**
   * Candidate list size while building, at least twice `m`: more means better recall, slower builds.
   * @default 64 (pgvector's default)
   */
  efConstruction?: number;
  /**
   * Candidate list size while searching: more means better recall, slower searches.
   * @default 40 (pgvector's default)
   */
  efSearch?: number;
}

/** pgvector's defaults, in effect for every setting a collection leaves unset. */
export const HNSW_DEFAULTS: Readonly<Required<HnswSettings>> = { m: 16, efConstruction: 64, efSearch: 40 };

/** A collection as stored. */
export interface Collection {
  id: number;
  name: string;
  embeddingProvider: string;
  embeddingModel: string;
  dimensions: number;
  /** Its HNSW settings (only those set; the rest are pgvector's defaults). */
  index: HnswSettings;
}

/** A collection with its counts, as `ragline collections` shows it. */
export interface CollectionStats extends Collection {
  /**
   * Whether it has its HNSW index now. A small collection has none (searches scan it exactly):
   * an ingest builds it once the collection passes `INDEX_DEFAULTS`' threshold.
   */
  indexed: boolean;
  documents: number;
  chunks: number;
  tokens: number;
  createdAt: Date;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Check a collection name; the error says which characters are allowed. */
export function checkCollectionName(name: string): string {
  if (!NAME.test(name)) {
    throw new ConfigError('collection', name, `Invalid collection name ${describeValue(name)}: use 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit.`);
  }
  return name;
}

type Row = {
  id: string;
  name: string;
  embedding_provider: string;
  embedding_model: string;
  dimensions: number;
  hnsw_m: number | null;
  hnsw_ef_construction: number | null;
  hnsw_ef_search: number | null;
};
const COLUMNS = 'id, name, embedding_provider, embedding_model, dimensions, hnsw_m, hnsw_ef_construction, hnsw_ef_search';
const toCollection = (r: Row): Collection => ({
  id: Number(r.id),
  name: r.name,
  embeddingProvider: r.embedding_provider,
  embeddingModel: r.embedding_model,
  dimensions: r.dimensions,
  index: {
    ...(r.hnsw_m === null ? {} : { m: r.hnsw_m }),
    ...(r.hnsw_ef_construction === null ? {} : { efConstruction: r.hnsw_ef_construction }),
    ...(r.hnsw_ef_search === null ? {} : { efSearch: r.hnsw_ef_search }),
  },
});

const HNSW_LIMITS = { m: [2, 100], efConstruction: [4, 1000], efSearch: [1, 1000] } as const;

/** Check HNSW settings against pgvector's limits; the error names the setting and its range. */
export function checkHnswSettings(settings: { [K in keyof HnswSettings]?: number | null }): void {
  for (const key of ['m', 'efConstruction', 'efSearch'] as const) {
    const value = settings[key];
    if (value === undefined || value === null) continue;
    const [min, max] = HNSW_LIMITS[key];
    checkInteger(key, value, { min, max, why: "pgvector's range" });
  }
  const m = settings.m ?? HNSW_DEFAULTS.m;
  if (settings.efConstruction !== undefined && settings.efConstruction !== null && settings.efConstruction < 2 * m) {
    throw new ConfigError('efConstruction', settings.efConstruction, `Expected \`efConstruction\` to be at least twice \`m\` (${2 * m}), got ${settings.efConstruction}.`);
  }
}

/** Find a collection by name. */
export async function getCollection(pool: pg.Pool, name: string): Promise<Collection | undefined> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM collections WHERE name = $1`, [name]);
  return rows[0] ? toCollection(rows[0]) : undefined;
}

/** Find a collection by name, or fail with a message listing what exists. */
export async function requireCollection(pool: pg.Pool, name: string): Promise<Collection> {
  const found = await getCollection(pool, name);
  if (found) return found;
  const { rows } = await pool.query<{ name: string }>('SELECT name FROM collections ORDER BY name');
  const known = rows.map((r) => r.name);
  throw new ConfigError('collection', name, `No collection named "${name}"${known.length ? ` (there are: ${known.join(', ')})` : ''}: ingest something into it first with \`ragline ingest <url|folder> --collection ${name}\`.`);
}

/** Options of {@link ensureCollection}. */
export interface EnsureCollectionOptions {
  /** HNSW settings of a collection created now (an existing one keeps its own: see {@link configureCollectionIndex}). */
  index?: HnswSettings;
}

/**
 * The collection named `name`, created for `model` if missing — without its HNSW index: a new
 * collection is small, searched exactly, and loaded faster without a graph to insert into; an
 * ingest builds the index once the collection is large enough ({@link indexIfLarge}). An existing collection must have been built with the same model: mixing vectors of two
 * models in one index makes distances meaningless.
 */
export async function ensureCollection(pool: pg.Pool, name: string, model: EmbeddingModel, options: EnsureCollectionOptions = {}): Promise<Collection> {
  checkCollectionName(name);
  const index = options.index ?? {};
  checkHnswSettings(index);
  const existing = await getCollection(pool, name);
  if (existing) {
    checkCollectionModel(existing, model);
    return existing;
  }
  const created = await withTransaction(pool, async (client) => {
    const { rows } = await client.query<Row>(
      `INSERT INTO collections (name, embedding_provider, embedding_model, dimensions, hnsw_m, hnsw_ef_construction, hnsw_ef_search)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (name) DO NOTHING
       RETURNING ${COLUMNS}`,
      [name, model.provider, model.modelId, model.dimensions, index.m ?? null, index.efConstruction ?? null, index.efSearch ?? null],
    );
    return rows[0] ? toCollection(rows[0]) : undefined;
  });
  if (created) return created;
  // Another process created it between our read and our insert.
  const raced = (await getCollection(pool, name))!;
  checkCollectionModel(raced, model);
  return raced;
}

/** Check that `model` is the one the collection's vectors come from (provider, model id, dimensions). */
export function checkCollectionModel(c: Collection, model: Pick<EmbeddingModel, 'provider' | 'modelId' | 'dimensions'>): void {
  if (c.embeddingProvider !== model.provider || c.embeddingModel !== model.modelId || c.dimensions !== model.dimensions) {
    throw new ConfigError(
      'embeddingModel',
      model.modelId,
      `Collection "${c.name}" holds ${c.embeddingProvider}/${c.embeddingModel} vectors (${c.dimensions} d), not ${model.provider}/${model.modelId} (${model.dimensions} d): use the same model, or another \`collection\`.`,
    );
  }
}

/** Every collection with its document, chunk and token counts. */
export async function listCollections(pool: pg.Pool): Promise<CollectionStats[]> {
  const { rows } = await pool.query<Row & { documents: string; chunks: string; tokens: string; created_at: Date; indexed: boolean }>(
    `SELECT c.id, c.name, c.embedding_provider, c.embedding_model, c.dimensions, c.hnsw_m, c.hnsw_ef_construction, c.hnsw_ef_search, c.created_at,
            EXISTS (SELECT 1 FROM pg_class x JOIN pg_index i ON i.indexrelid = x.oid
                     WHERE x.relname = 'chunks_embedding_c' || c.id || '_idx' AND i.indisvalid) AS indexed,
            (SELECT count(*) FROM documents d WHERE d.collection_id = c.id) AS documents,
            (SELECT count(*) FROM chunks k WHERE k.collection_id = c.id) AS chunks,
            (SELECT coalesce(sum(token_count), 0) FROM chunks k WHERE k.collection_id = c.id) AS tokens
       FROM collections c ORDER BY c.name`,
  );
  return rows.map((r) => ({ ...toCollection(r), indexed: r.indexed, documents: Number(r.documents), chunks: Number(r.chunks), tokens: Number(r.tokens), createdAt: r.created_at }));
}

/** Options of {@link buildCollectionIndex}: the graph settings, when not the collection's own. */
export type CollectionIndexOptions = Pick<HnswSettings, 'm' | 'efConstruction'>;

/** The name of a collection's HNSW index. */
export function collectionIndexName(c: Pick<Collection, 'id'>): string {
  return `chunks_embedding_c${sqlInt(c.id)}_idx`;
}

/** `CREATE INDEX` for a collection's HNSW index, on a cast to its dimensions, with the cosine operator class. */
function collectionIndexSql(c: Pick<Collection, 'id' | 'dimensions'>, options: CollectionIndexOptions & { concurrently?: boolean; name?: string } = {}): string {
  const params = [options.m === undefined ? '' : `m = ${sqlInt(options.m)}`, options.efConstruction === undefined ? '' : `ef_construction = ${sqlInt(options.efConstruction)}`].filter(Boolean);
  return `CREATE INDEX ${options.concurrently ? 'CONCURRENTLY IF NOT EXISTS ' : ''}${options.name ?? collectionIndexName(c)} ON chunks USING hnsw ((embedding::${vectorType(c.dimensions)}) ${cosineOpsClass(c.dimensions)})${params.length ? ` WITH (${params.join(', ')})` : ''} WHERE collection_id = ${sqlInt(c.id)}`;
}

/** A collection's HNSW index: valid, invalid (a leftover of an interrupted build), or missing. */
async function indexState(db: pg.Pool | pg.PoolClient, c: Pick<Collection, 'id'>): Promise<'valid' | 'invalid' | 'missing'> {
  const { rows } = await db.query<{ valid: boolean }>(
    'SELECT i.indisvalid AS valid FROM pg_class x JOIN pg_index i ON i.indexrelid = x.oid WHERE x.relname = $1',
    [collectionIndexName(c)],
  );
  return rows[0] === undefined ? 'missing' : rows[0].valid ? 'valid' : 'invalid';
}

/** Whether a collection has a valid HNSW index (false while the collection is small, or its index is deferred for a bulk load). */
export async function hasCollectionIndex(pool: pg.Pool, c: Pick<Collection, 'id'>): Promise<boolean> {
  return (await indexState(pool, c)) === 'valid';
}

// Advisory lock class for index changes; the second key is the collection id.
const INDEX_LOCK = 7_346_212;

async function withIndexLock<T>(pool: pg.Pool, c: Pick<Collection, 'id'>, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    // Polled, not waited for: a session blocked in pg_advisory_lock holds a snapshot, which the
    // holder's CREATE INDEX CONCURRENTLY would wait for — a deadlock.
    for (;;) {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [INDEX_LOCK, c.id]);
      if (rows[0]!.ok) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      return await fn(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [INDEX_LOCK, c.id]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/**
 * Drop a collection's HNSW index before a bulk load: keeping an HNSW graph up to date row by row
 * costs several times more than building it once afterwards. Searches of the collection stay
 * correct meanwhile (exact scans). CONCURRENTLY: other collections' reads and writes go on.
 * @returns whether there was an index to drop
 */
export async function dropCollectionIndex(pool: pg.Pool, c: Pick<Collection, 'id'>): Promise<boolean> {
  return withIndexLock(pool, c, async (client) => {
    if ((await indexState(client, c)) === 'missing') return false;
    await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${collectionIndexName(c)}`);
    return true;
  });
}

/**
 * Build a collection's HNSW index if it is missing (after a bulk load), without blocking writes to
 * other collections; an invalid leftover of an interrupted build is replaced. Builders of one
 * collection take turns (advisory lock), so two workers finishing together build it once.
 * @returns whether an index was built
 */
export async function buildCollectionIndex(
  pool: pg.Pool,
  c: Pick<Collection, 'id' | 'dimensions'> & { index?: HnswSettings },
  options: CollectionIndexOptions = {},
): Promise<boolean> {
  options = { m: options.m ?? c.index?.m, efConstruction: options.efConstruction ?? c.index?.efConstruction };
  checkHnswSettings(options);
  return withIndexLock(pool, c, async (client) => {
    const state = await indexState(client, c);
    if (state === 'valid') return false;
    if (state === 'invalid') await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${collectionIndexName(c)}`);
    await client.query(collectionIndexSql(c, { ...options, concurrently: true }));
    return true;
  });
}

/**
 * Build a collection's HNSW index once it holds at least `minChunks` chunks and has none (after an
 * ingest: one build after the load, not an insert into the graph per row). Below, searches scan
 * the collection exactly, which is exact and fast at that size.
 * @returns whether an index was built
 */
export async function indexIfLarge(pool: pg.Pool, c: Pick<Collection, 'id' | 'dimensions' | 'index'>, minChunks: number): Promise<boolean> {
  if (!Number.isFinite(minChunks) || (await hasCollectionIndex(pool, c))) return false;
  // Counted only up to the threshold: a large collection is not counted in full.
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM chunks WHERE collection_id = $1 LIMIT $2) x`,
    [c.id, Math.max(1, Math.ceil(minChunks))],
  );
  if (rows[0]!.n < minChunks) return false;
  return buildCollectionIndex(pool, c);
}

/** What {@link configureCollectionIndex} did. */
export interface ConfigureIndexResult {
  collection: Collection;
  /** Whether the index was rebuilt (its graph settings changed and it existed). */
  rebuilt: boolean;
}

/**
 * Change a collection's HNSW settings; `null` puts one back to pgvector's default. `efSearch`
 * applies from the next search. A change of `m` or `efConstruction` rebuilds the index (if it has
 * one; a collection without one yet gets them when it is built): the new index is built beside the old one, without
 * blocking reads or writes, and replaces it when ready.
 */
export async function configureCollectionIndex(
  pool: pg.Pool,
  name: string,
  settings: { [K in keyof HnswSettings]?: number | null },
): Promise<ConfigureIndexResult> {
  const before = await requireCollection(pool, name);
  const merged = { ...before.index };
  for (const key of ['m', 'efConstruction', 'efSearch'] as const) {
    const value = settings[key];
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  checkHnswSettings(merged);
  const { rows } = await pool.query<Row>(
    `UPDATE collections SET hnsw_m = $2, hnsw_ef_construction = $3, hnsw_ef_search = $4 WHERE id = $1 RETURNING ${COLUMNS}`,
    [before.id, merged.m ?? null, merged.efConstruction ?? null, merged.efSearch ?? null],
  );
  const collection = toCollection(rows[0]!);
  const graphChanged = before.index.m !== collection.index.m || before.index.efConstruction !== collection.index.efConstruction;
  if (!graphChanged) return { collection, rebuilt: false };
  const rebuilt = await withIndexLock(pool, collection, async (client) => {
    if ((await indexState(client, collection)) !== 'valid') return false;
    const fresh = `${collectionIndexName(collection)}_new`;
    await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${fresh}`);
    await client.query(collectionIndexSql(collection, { ...collection.index, concurrently: true, name: fresh }));
    await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${collectionIndexName(collection)}`);
    await client.query(`ALTER INDEX ${fresh} RENAME TO ${collectionIndexName(collection)}`);
    return true;
  });
  return { collection, rebuilt };
}
