/**
 * Snapshots of the embedded database: `dumpDataDir()` of one store seeds another through
 * `loadDataDir`, and never overwrites a data folder that already holds a database.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../src/store/database.js';

describe('embedded database snapshots', () => {
  let dir: string;
  let snapshot: Blob;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-snapshot-'));
    const source = await openDatabase({ dataDir: 'memory://', databaseUrl: '' });
    await source.pool.query(`INSERT INTO collections (name, embedding_provider, embedding_model, dimensions) VALUES ('from-snapshot', 'local', 'm', 8)`);
    snapshot = await source.dumpDataDir!();
    await source.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const names = async (db: Awaited<ReturnType<typeof openDatabase>>) => (await db.pool.query<{ name: string }>('SELECT name FROM collections ORDER BY name')).rows.map((r) => r.name);

  test('a new data folder seeded from a snapshot holds what the snapshot held, and keeps it on disk', async () => {
    const folder = path.join(dir, 'seeded');
    const db = await openDatabase({ dataDir: folder, databaseUrl: '', loadDataDir: snapshot });
    expect(await names(db)).toEqual(['from-snapshot']);
    await db.pool.query(`INSERT INTO collections (name, embedding_provider, embedding_model, dimensions) VALUES ('added-later', 'local', 'm', 8)`);
    await db.close();
    const reopened = await openDatabase({ dataDir: folder, databaseUrl: '', loadDataDir: snapshot });
    expect(await names(reopened)).toEqual(['added-later', 'from-snapshot']);
    await reopened.close();
  });
});
