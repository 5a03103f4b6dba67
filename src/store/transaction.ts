import type pg from 'pg';
import { StoreError } from '../errors.js';
import { describeDriverError, diskFullError } from './open-error.js';

/**
 * Run `fn` in a transaction on one pooled connection: COMMIT when it resolves, ROLLBACK when it
 * throws (the error is rethrown), and the connection always goes back to the pool. `begin` opens
 * the transaction and may prepare the session in the same round trip (`BEGIN; SET LOCAL ...`).
 * A full disk (SQLSTATE 53100, anywhere in the error's cause chain) becomes a {@link StoreError}
 * saying so and what to do.
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
    const full = diskFullError(err);
    if (full !== undefined) throw new StoreError(`Writing to the store failed: ${describeDriverError(full)}. What was stored before this write is kept.`, { cause: err });
    throw err;
  } finally {
    client.release();
  }
}
