/**
 * Deleting and renaming a collection, with everything that belongs to it: documents, chunks and
 * the HNSW index (by foreign key and name), the crawl state, and the jobs queued into it (which
 * name it by its name, not its id).
 */
import type pg from 'pg';
import { ConfigError, StoreError } from '../errors.js';
import { checkCollectionName, collectionIndexName, getCollection, requireCollection, type Collection } from './collections.js';
import { withTransaction } from './transaction.js';

/** What {@link deleteCollection} removed. */
export interface DeletedCollection {
  name: string;
  documents: number;
  chunks: number;
  /** Crawl start URLs whose state (frontier, validators) was forgotten. */
  crawls: number;
  /** Jobs of the collection removed from the queue (any state but running). */
  jobs: number;
}

/** Counts of what a collection holds, read in the transaction that deletes it. */
async function countHoldings(client: pg.PoolClient, c: Collection): Promise<Omit<DeletedCollection, 'name'>> {
  const { rows } = await client.query<{ documents: string; chunks: string; crawls: string; jobs: string }>(
    `SELECT (SELECT count(*) FROM documents WHERE collection_id = $1) AS documents,
            (SELECT count(*) FROM chunks WHERE collection_id = $1) AS chunks,
            (SELECT count(DISTINCT start_url) FROM crawl_runs WHERE collection_id = $1) AS crawls,
            (SELECT count(*) FROM jobs WHERE collection = $2) AS jobs`,
    [c.id, c.name],
  );
  const r = rows[0]!;
  return { documents: Number(r.documents), chunks: Number(r.chunks), crawls: Number(r.crawls), jobs: Number(r.jobs) };
}

/** Ids of the collection's jobs a worker is running now. */
async function runningJobs(client: pg.PoolClient, name: string): Promise<number[]> {
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM jobs WHERE collection = $1 AND state = 'running' ORDER BY id`, [name]);
  return rows.map((r) => Number(r.id));
}

/**
 * Delete a collection and everything of it in one transaction: its documents, chunks, HNSW index,
 * crawl state and queued, finished or failed jobs. Refused while a worker runs one of its jobs (it
 * would write into the collection again): cancel the job or wait for it. Vectors of this
 * collection are no longer reused by later ingests of the same text.
 * @throws ConfigError when there is no such collection, or a job of it is running
 */
export async function deleteCollection(pool: pg.Pool, name: string): Promise<DeletedCollection> {
  const found = await requireCollection(pool, name);
  return withTransaction(pool, async (client) => {
    // Locked: a concurrent ingest creating documents in it waits, then finds it gone.
    await client.query('SELECT id FROM collections WHERE id = $1 FOR UPDATE', [found.id]);
    const running = await runningJobs(client, name);
    if (running.length > 0) {
      throw new ConfigError(
        'collection',
        name,
        `Collection "${name}" has ${running.length === 1 ? 'a running job' : 'running jobs'} (${running.map((id) => `#${id}`).join(', ')}): wait for ${running.length === 1 ? 'it' : 'them'} or \`ragline jobs cancel ${running[0]}\`, then delete again. Nothing was deleted.`,
      );
    }
    const counts = await countHoldings(client, found);
    await client.query(`DROP INDEX IF EXISTS ${collectionIndexName(found)}`);
    await client.query('DELETE FROM jobs WHERE collection = $1', [name]);
    // documents, chunks, crawl_runs and crawl_pages go with it (ON DELETE CASCADE).
    await client.query('DELETE FROM collections WHERE id = $1', [found.id]);
    return { name, ...counts };
  });
}

/**
 * {@link deleteCollection}, for a collection that may not exist.
 * @returns whether there was one to delete
 */
export async function dropCollection(pool: pg.Pool, name: string): Promise<boolean> {
  if (!(await getCollection(pool, name))) return false;
  await deleteCollection(pool, name);
  return true;
}

/** What {@link renameCollection} changed. */
export interface RenamedCollection {
  from: string;
  to: string;
  /** Jobs of the collection now queued under the new name. */
  jobs: number;
}

/**
 * Rename a collection; its jobs follow it (a queued job ingests into the new name). Its documents,
 * chunks, index and crawl state hang on its id and stay as they are.
 * @throws ConfigError when `from` does not exist, `to` is not a valid name or already exists
 */
export async function renameCollection(pool: pg.Pool, from: string, to: string): Promise<RenamedCollection> {
  checkCollectionName(to);
  const found = await requireCollection(pool, from);
  const taken = (): ConfigError =>
    new ConfigError('collection', to, `A collection named "${to}" exists already: pick another name, or delete it first with \`ragline collections delete ${to}\`. Nothing was renamed.`);
  if (from === to) throw taken();
  try {
    return await withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ id: string }>('SELECT id FROM collections WHERE name = $1', [to]);
      if (rows.length > 0) throw taken();
      await client.query('UPDATE collections SET name = $2 WHERE id = $1', [found.id, to]);
      const jobs = await client.query('UPDATE jobs SET collection = $2, updated_at = now() WHERE collection = $1', [from, to]);
      return { from, to, jobs: jobs.rowCount ?? 0 };
    });
  } catch (err) {
    // Another process created `to` between our check and our update.
    if ((err as { code?: unknown }).code === '23505') throw taken();
    if (err instanceof ConfigError) throw err;
    throw new StoreError(`Could not rename collection "${from}" to "${to}": ${(err as Error).message}`, { cause: err });
  }
}
