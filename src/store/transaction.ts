import type pg from 'pg';
import { StoreError } from '../errors.js';

/**
 * The unique constraint two writers of one document's chunks collide on: each replaces the chunks
 * its statement's snapshot saw, so the second to commit finds the first one's rows in its way.
 */
const CONCURRENT_CHUNKS = 'chunks_document_id_ordinal_key';

/** `err`, or the one line saying what it means when another ingest wrote the same document meanwhile. */
function explainConflict(err: unknown): unknown {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const { code, constraint } = e as Error & { code?: unknown; constraint?: unknown };
    if (code === '23505' && constraint === CONCURRENT_CHUNKS) {
      return new StoreError(
        'Another ingest into this collection is writing the same documents at the same time: let it finish, then run this one again (what was stored so far is kept).',
        { cause: err },
      );
    }
  }
  return err;
}

/**
 * Run `fn` in a transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws (the error is rethrown — as a `StoreError` saying so when a concurrent writer of the same
 * document's chunks got in the way), and the connection always goes back to the pool. `begin` opens
 * the transaction and may prepare the session in the same round trip (`BEGIN; SET LOCAL ...`).
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw explainConflict(err);
  } finally {
    client.release();
  }
}
