/**
 * Credentials written in a URL never reach the durable job queue: a job row is stored and listed,
 * so queueing such a URL is refused with a way forward, and nothing is queued.
 */
import { freshDatabase } from '../support/databases.js';
import { ConfigError, countJobs, queueIngest, type Database } from '../../src/index.js';

describe('queueing a URL with credentials', () => {
  let db: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase('pglite');
  });
  afterAll(() => db?.drop());

  test('is refused without echoing the password, and no job is stored', async () => {
    const err = await queueIngest({ db, sources: ['http://alice:s3cretpw@127.0.0.1:9/docs/'], ingest: { allowPrivateNetwork: true } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^Cannot queue http:\/\/127\.0\.0\.1:9\/docs\/ with the user name and password written in it/);
    expect((err as Error).message).not.toMatch(/s3cretpw|alice/);
    expect(JSON.stringify(err)).not.toMatch(/s3cretpw/);
    expect(Object.values(await countJobs(db.pool)).reduce((a, b) => a + b, 0)).toBe(0);
  });
});
