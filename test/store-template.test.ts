import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, migrationsDir } from '../src/store/database.js';
import { readMigrations } from '../src/store/migrate.js';
import { ensureCollection, listCollections } from '../src/store/collections.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';

describe('a new embedded store is a copy of a cached, migrated, empty one', () => {
  let dir: string;
  const saved = process.env.XDG_CACHE_HOME;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-template-'));
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    await rm(dir, { recursive: true, force: true });
  });

  test('the first new store builds the template; the next is copied from it, migrated and without the first one’s data', async () => {
    const first = await openDatabase({ dataDir: path.join(dir, 'a'), databaseUrl: '' });
    await ensureCollection(first.pool, 'only-in-a', createLexicalEmbedding({ dimensions: 16 }));
    await first.close();
    const snapshots = await readdir(path.join(dir, 'cache', 'ragline'));
    expect(snapshots).toEqual([expect.stringMatching(/^pglite-template-[0-9a-f]{16}$/)]);
    // Complete (its marker is written last), and closed cleanly: nothing of the first store in it.
    const file = path.join(dir, 'cache', 'ragline', snapshots[0]!, 'ragline-template-complete');
    const before = await stat(file);

    const second = await openDatabase({ dataDir: path.join(dir, 'b'), databaseUrl: '' });
    try {
      expect(await listCollections(second.pool)).toEqual([]);
      const { rows } = await second.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      expect(rows[0]!.n).toBe((await readMigrations(migrationsDir())).length);
      await ensureCollection(second.pool, 'in-b', createLexicalEmbedding({ dimensions: 16 }));
    } finally {
      await second.close();
    }
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs);
    // An existing store is opened as it is, never reseeded.
    const again = await openDatabase({ dataDir: path.join(dir, 'b'), databaseUrl: '' });
    try {
      expect((await listCollections(again.pool)).map((c) => c.name)).toEqual(['in-b']);
    } finally {
      await again.close();
    }
  });
});
