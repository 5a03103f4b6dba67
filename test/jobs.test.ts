/**
 * The durable job queue and its worker, on both stores: claims, leases, retries with backoff,
 * dead jobs, cancel and retry, and workers running the real ingest pipeline on a real site.
 */
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import {
  cancelJob,
  claimJob,
  completeJob,
  countJobs,
  enqueueJobs,
  failJob,
  getJob,
  listJobs,
  releaseJob,
  renewLease,
  retryJob,
  type Job,
} from '../src/jobs/queue.js';
import { runWorker, startWorker, type WorkerEvent } from '../src/jobs/worker.js';
import { expandSources } from '../src/jobs/sources.js';
import { batchIngest } from '../src/index.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { ConfigError } from '../src/errors.js';
import { buildCollectionIndex, collectionIndexName, dropCollectionIndex, ensureCollection, hasCollectionIndex } from '../src/store/collections.js';

const demoSite = path.join(packageRoot(), 'demo-site');
const none = { pages: 0, chunks: 0, tokens: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('job sources', () => {
  let site: StaticServer;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-jobsrc-'));
    await mkdir(path.join(dir, 'maps'));
    await writeFile(path.join(dir, 'maps', 'index.xml'), '<?xml version="1.0"?><sitemapindex><sitemap><loc>/maps/a.xml</loc></sitemap><sitemap><loc>/maps/b.xml</loc></sitemap></sitemapindex>');
    await writeFile(path.join(dir, 'maps', 'a.xml'), '<urlset><url><loc>http://example.test/one?x=1&amp;y=2</loc></url><url><loc>http://example.test/two</loc></url></urlset>');
    await writeFile(path.join(dir, 'maps', 'b.xml'), '<urlset><url><loc>http://example.test/three</loc></url><url><loc>http://example.test/two</loc></url></urlset>');
    await writeFile(path.join(dir, 'not-a-map.xml'), '<html><body>hello</body></html>');
    site = await serveStatic(dir);
  });
  afterAll(async () => {
    await site?.close();
  });

  test('a start URL is a site crawl, a folder a path job, duplicates dropped', async () => {
    expect(await expandSources(['https://docs.example.com/', demoSite, 'https://docs.example.com/'])).toEqual([
      { source: 'https://docs.example.com/', kind: 'site' },
      { source: demoSite, kind: 'path' },
    ]);
  });

  test('a sitemap index gives one page job per listed URL, entities decoded', async () => {
    const got = await expandSources([`${site.url}maps/index.xml`], { allowPrivateNetwork: true });
    expect(got).toEqual([
      { source: 'http://example.test/one?x=1&y=2', kind: 'page' },
      { source: 'http://example.test/two', kind: 'page' },
      { source: 'http://example.test/three', kind: 'page' },
    ]);
  });

  test('an XML document that is no sitemap is refused with what to do instead', async () => {
    await expect(expandSources([`${site.url}not-a-map.xml`], { allowPrivateNetwork: true })).rejects.toThrow(/is not a sitemap .*start URL/);
  });

  test('a file of URLs lists sources; any other file is a document', async () => {
    const list = path.join(dir, 'urls.txt');
    await writeFile(list, `# docs to ingest\nhttps://a.example.com/\n\nhttps://b.example.com/guide\n`);
    const note = path.join(dir, 'note.txt');
    await writeFile(note, 'Just some notes.\nhttps://a.example.com/ is mentioned here.\n');
    expect(await expandSources([list, note])).toEqual([
      { source: 'https://a.example.com/', kind: 'site' },
      { source: 'https://b.example.com/guide', kind: 'site' },
      { source: note, kind: 'path' },
    ]);
  });

  test('a missing path is refused naming it', async () => {
    await expect(expandSources(['./no/such/folder'])).rejects.toThrow(ConfigError);
    await expect(expandSources(['./no/such/folder'])).rejects.toThrow(/Cannot add "\.\/no\/such\/folder"/);
  });
});

describeEachDatabase('job queue', (backend) => {
  let db: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    db = await freshDatabase(backend);
  });
  afterAll(async () => {
    await db?.drop();
  });
  beforeEach(async () => {
    await db.pool.query('DELETE FROM jobs');
  });

  const add = (n: number, extra: Partial<Parameters<typeof enqueueJobs>[1][number]> = {}) =>
    enqueueJobs(
      db.pool,
      Array.from({ length: n }, (_, i) => ({ collection: 'q', source: `https://example.com/${i}`, kind: 'site' as const, ...extra })),
    );

  test('jobs are queued in order with no attempts', async () => {
    const jobs = await add(3, { options: { maxPages: 5 } });
    expect(jobs.map((j) => [j.source, j.state, j.attempts, j.maxAttempts, j.options])).toEqual([
      ['https://example.com/0', 'queued', 0, 3, { maxPages: 5 }],
      ['https://example.com/1', 'queued', 0, 3, { maxPages: 5 }],
      ['https://example.com/2', 'queued', 0, 3, { maxPages: 5 }],
    ]);
    expect((await listJobs(db.pool)).map((j) => j.id)).toEqual(jobs.map((j) => j.id).reverse());
  });

  test('an invalid collection name or state is refused with the value', async () => {
    await expect(enqueueJobs(db.pool, [{ collection: 'bad name', source: 'x', kind: 'site' }])).rejects.toThrow(/Invalid collection name/);
    await expect(listJobs(db.pool, { state: 'stuck' as never })).rejects.toThrow(/Unknown job state `stuck` \(string\)/);
  });

  test('claims take the oldest due job, each job once, and start an attempt under a lease', async () => {
    const [a, b] = await add(2);
    const first = await claimJob(db.pool, 'w1', 60_000);
    const second = await claimJob(db.pool, 'w2', 60_000);
    expect(await claimJob(db.pool, 'w3', 60_000)).toBeUndefined();
    expect([first!.id, first!.leaseOwner, first!.state, first!.attempts]).toEqual([a!.id, 'w1', 'running', 1]);
    expect([second!.id, second!.leaseOwner]).toEqual([b!.id, 'w2']);
    expect(first!.leaseExpiresAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  test('a lease renewed by its owner saves progress; another owner cannot renew it', async () => {
    const [job] = await add(1);
    await claimJob(db.pool, 'w1', 60_000);
    expect(await renewLease(db.pool, job!.id, 'w1', 60_000, { pages: 3, chunks: 9, tokens: 900 })).toBe(true);
    expect(await renewLease(db.pool, job!.id, 'intruder', 60_000, none)).toBe(false);
    expect(await getJob(db.pool, job!.id)).toMatchObject({ pages: 3, chunks: 9, tokens: 900, leaseOwner: 'w1' });
  });

  test("a job whose worker stopped renewing is claimed again after its lease expires, and the old worker's lease is void", async () => {
    const [job] = await add(1);
    await claimJob(db.pool, 'dead-worker', 1);
    await sleep(20);
    const again = await claimJob(db.pool, 'w2', 60_000);
    expect(again).toMatchObject({ id: job!.id, leaseOwner: 'w2', attempts: 2, state: 'running' });
    expect(again!.error).toMatch(/attempt 1: worker dead-worker stopped renewing its lease/);
    expect(await renewLease(db.pool, job!.id, 'dead-worker', 60_000, none)).toBe(false);
    expect(await completeJob(db.pool, job!.id, 'dead-worker', none)).toBe(false);
    expect(await completeJob(db.pool, job!.id, 'w2', none)).toBe(true);
    expect((await getJob(db.pool, job!.id))!.state).toBe('done');
  });

  test('an expired lease on the last attempt makes the job dead with the reason', async () => {
    const [job] = await add(1, { maxAttempts: 1 });
    await claimJob(db.pool, 'dead-worker', 1);
    await sleep(20);
    expect(await claimJob(db.pool, 'w2', 60_000)).toBeUndefined();
    expect(await getJob(db.pool, job!.id)).toMatchObject({ state: 'dead', attempts: 1, leaseOwner: null });
    expect((await getJob(db.pool, job!.id))!.error).toMatch(/attempt 1 of 1: worker dead-worker stopped renewing/);
  });

  test('a failed attempt waits out its backoff, doubling; after the last attempt the job is dead with its error', async () => {
    const [job] = await add(1, { maxAttempts: 3 });
    await claimJob(db.pool, 'w', 60_000);
    expect(await failJob(db.pool, job!.id, 'w', 'boom 1', { retryDelayMs: 60_000 })).toBe('failed');
    let j = (await getJob(db.pool, job!.id))!;
    expect(j).toMatchObject({ state: 'failed', error: 'boom 1', leaseOwner: null });
    const firstDelay = j.runAfter.getTime() - j.updatedAt.getTime();
    expect(firstDelay).toBeGreaterThanOrEqual(59_000);
    expect(await claimJob(db.pool, 'w', 60_000)).toBeUndefined(); // not due yet

    await db.pool.query('UPDATE jobs SET run_after = now() WHERE id = $1', [job!.id]);
    await claimJob(db.pool, 'w', 60_000);
    expect(await failJob(db.pool, job!.id, 'w', 'boom 2', { retryDelayMs: 60_000 })).toBe('failed');
    j = (await getJob(db.pool, job!.id))!;
    expect(j.runAfter.getTime() - j.updatedAt.getTime()).toBeGreaterThanOrEqual(2 * 59_000);

    await db.pool.query('UPDATE jobs SET run_after = now() WHERE id = $1', [job!.id]);
    await claimJob(db.pool, 'w', 60_000);
    expect(await failJob(db.pool, job!.id, 'w', 'boom 3', { retryDelayMs: 1 })).toBe('dead');
    expect(await getJob(db.pool, job!.id)).toMatchObject({ state: 'dead', attempts: 3, error: 'boom 3' });
    expect((await getJob(db.pool, job!.id))!.finishedAt).toBeInstanceOf(Date);
  });

  test('a permanent error makes the job dead at its first attempt', async () => {
    const [job] = await add(1);
    await claimJob(db.pool, 'w', 60_000);
    expect(await failJob(db.pool, job!.id, 'w', 'no such folder', { permanent: true })).toBe('dead');
  });

  test('a released job goes back to the queue without spending an attempt', async () => {
    const [job] = await add(1);
    await claimJob(db.pool, 'w', 60_000);
    expect(await releaseJob(db.pool, job!.id, 'w', { pages: 2, chunks: 4, tokens: 40 })).toBe(true);
    expect(await getJob(db.pool, job!.id)).toMatchObject({ state: 'queued', attempts: 0, leaseOwner: null, pages: 2 });
  });

  test('cancel stops a queued or running job; retry queues a dead or cancelled one afresh', async () => {
    const [queued, running] = await add(2);
    await claimJob(db.pool, 'w', 60_000); // takes `queued` (oldest)
    await cancelJob(db.pool, queued!.id);
    expect(await renewLease(db.pool, queued!.id, 'w', 60_000, none)).toBe(false);
    expect(await claimJob(db.pool, 'w', 60_000)).toMatchObject({ id: running!.id });
    expect(await claimJob(db.pool, 'w', 60_000)).toBeUndefined();
    const retried = await retryJob(db.pool, queued!.id);
    expect(retried).toMatchObject({ state: 'queued', attempts: 0 });
    expect(await claimJob(db.pool, 'w', 60_000)).toMatchObject({ id: queued!.id, attempts: 1 });
    await completeJob(db.pool, queued!.id, 'w', none);
    await expect(retryJob(db.pool, queued!.id)).rejects.toThrow(/Job \d+ is done: only failed, dead or cancelled jobs can be retried \(add it again/);
    await expect(cancelJob(db.pool, queued!.id)).rejects.toThrow(/is done: only queued, failed or running jobs can be cancelled/);
    await expect(cancelJob(db.pool, 999_999)).rejects.toThrow(/No job 999999/);
  });
});

describeEachDatabase('job worker', (backend) => {
  let db: Database & { drop(): Promise<void> };
  let site: StaticServer;
  const embedding = createLexicalEmbedding({ dimensions: 64 });
  beforeAll(async () => {
    db = await freshDatabase(backend);
    site = await serveStatic(demoSite);
  });
  afterAll(async () => {
    await site?.close();
    await db?.drop();
  });

  const chunkSet = async (collection: string) =>
    (
      await db.pool.query<{ k: string }>(
        `SELECT d.source || '#' || k.ordinal || ':' || k.text_hash AS k FROM chunks k JOIN documents d ON d.id = k.document_id
          JOIN collections c ON c.id = k.collection_id WHERE c.name = $1 ORDER BY 1`,
        [collection],
      )
    ).rows.map((r) => r.k);

  test('a batch of site and folder jobs is ingested, each job done once, with its progress', async () => {
    const events: WorkerEvent[] = [];
    const result = await batchIngest({
      db,
      sources: [site.url, path.join(demoSite, 'guide')],
      collection: 'batch',
      ingest: { allowPrivateNetwork: true },
      worker: { concurrency: 2, pollMs: 20, embeddingFor: () => embedding, onEvent: (e) => events.push(e) },
    });
    expect(result.jobs.map((j) => j.kind)).toEqual(['site', 'path']);
    expect(result.worker).toMatchObject({ done: 2, failed: 0, released: 0, lost: 0 });
    expect(result.states).toMatchObject({ done: 2, queued: 0, running: 0 });
    const jobs = await listJobs(db.pool, { collection: 'batch' });
    for (const j of jobs) {
      expect(j).toMatchObject({ state: 'done', attempts: 1, leaseOwner: null, error: null });
      expect(j.pages).toBeGreaterThan(0);
      expect(j.chunks).toBeGreaterThan(0);
    }
    expect(events.filter((e) => e.type === 'done').map((e) => (e as { job: Job }).job.id).sort()).toEqual(jobs.map((j) => j.id).sort());
    // Pages of the site crawl are stored as URLs, the folder's as file:// URLs.
    const sources = (await chunkSet('batch')).map((k) => k.split('#')[0]);
    expect(sources.some((s) => s!.startsWith(site.url))).toBe(true);
    expect(sources.some((s) => s!.startsWith('file://'))).toBe(true);
  });

  test('a job that cannot succeed is dead at once with its error; the others still run', async () => {
    const [bad, good] = await enqueueJobs(db.pool, [
      { collection: 'mixed', source: '/no/such/folder', kind: 'path' },
      { collection: 'mixed', source: path.join(demoSite, 'faq'), kind: 'path' },
    ]);
    const summary = await runWorker({ db, pollMs: 20, embeddingFor: () => embedding });
    expect(summary).toMatchObject({ done: 1, failed: 1 });
    expect(await getJob(db.pool, bad!.id)).toMatchObject({ state: 'dead', attempts: 1 });
    expect((await getJob(db.pool, bad!.id))!.error).toMatch(/no such file or folder exists/);
    expect((await getJob(db.pool, good!.id))!.state).toBe('done');
  });

  test('a transient failure is retried after its backoff and then succeeds', async () => {
    const [job] = await enqueueJobs(db.pool, [{ collection: 'flaky', source: path.join(demoSite, 'faq'), kind: 'path' }]);
    let calls = 0;
    const summary = await runWorker({
      db,
      pollMs: 20,
      retryDelayMs: 50,
      embeddingFor: () => {
        calls++;
        if (calls === 1) throw new Error('connection reset by the embedding API');
        return embedding;
      },
    });
    expect(summary).toMatchObject({ done: 1, failed: 1 });
    expect(await getJob(db.pool, job!.id)).toMatchObject({ state: 'done', attempts: 2, error: 'connection reset by the embedding API' });
  });

  test('a worker runs no more jobs at once than its concurrency', async () => {
    await enqueueJobs(
      db.pool,
      ['faq', 'guide', 'reference', 'troubleshooting', 'changelog'].map((d) => ({ collection: 'bounded', source: path.join(demoSite, d), kind: 'path' as const })),
    );
    let active = 0;
    let peak = 0;
    const summary = await runWorker({
      db,
      concurrency: 2,
      pollMs: 20,
      embeddingFor: async () => {
        await sleep(30); // hold the slot long enough for the worker to try to fill more
        return embedding;
      },
      onEvent: (e) => {
        if (e.type === 'start') peak = Math.max(peak, ++active);
        if (e.type === 'done' || e.type === 'failed') active--;
      },
    });
    expect(summary.done).toBe(5);
    expect(peak).toBe(2);
  });

  test('stopping a worker releases its running job to the queue without spending an attempt', async () => {
    const [job] = await enqueueJobs(db.pool, [{ collection: 'stopped', source: site.url, kind: 'site', options: { allowPrivateNetwork: true } }]);
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    const worker = startWorker({
      db,
      pollMs: 20,
      // The job cannot finish before the stop: its model arrives only after a long wait.
      embeddingFor: async () => {
        started();
        await sleep(500);
        return embedding;
      },
    });
    await startedP;
    const summary = await worker.stop({ graceMs: 50 });
    expect(summary).toMatchObject({ released: 1, done: 0 });
    expect(await getJob(db.pool, job!.id)).toMatchObject({ state: 'queued', attempts: 0, leaseOwner: null });
    await db.pool.query('DELETE FROM jobs WHERE id = $1', [job!.id]);
  });

  test('cancelling a running job stops its worker at the next lease renewal', async () => {
    const [job] = await enqueueJobs(db.pool, [{ collection: 'cancelled', source: path.join(demoSite, 'faq'), kind: 'path' }]);
    const events: WorkerEvent[] = [];
    let started!: () => void;
    const startedP = new Promise<void>((r) => (started = r));
    const worker = startWorker({
      db,
      pollMs: 20,
      leaseMs: 60,
      exitWhenIdle: true,
      embeddingFor: async () => {
        started();
        await sleep(400);
        return embedding;
      },
      onEvent: (e) => events.push(e),
    });
    await startedP;
    await cancelJob(db.pool, job!.id);
    const summary = await worker.finished;
    expect(summary).toMatchObject({ lost: 1, done: 0 });
    expect((await getJob(db.pool, job!.id))!.state).toBe('cancelled');
    expect(await countJobs(db.pool)).toMatchObject({ queued: 0, running: 0 });
  });

  test('a job rerun ends with the same chunks as one uninterrupted run', async () => {
    await batchIngest({ db, sources: [demoSite], collection: 'once', worker: { pollMs: 20, embeddingFor: () => embedding } });
    await batchIngest({ db, sources: [demoSite], collection: 'twice', worker: { pollMs: 20, embeddingFor: () => embedding } });
    // The same source added again: every page is unchanged and keeps its chunks, none duplicated.
    await batchIngest({ db, sources: [demoSite], collection: 'twice', worker: { pollMs: 20, embeddingFor: () => embedding } });
    const once = (await chunkSet('once')).map((k) => k.replace(/^[^#]*demo-site/, ''));
    const twice = (await chunkSet('twice')).map((k) => k.replace(/^[^#]*demo-site/, ''));
    expect(once.length).toBeGreaterThan(10);
    expect(twice).toEqual(once);
  });

  test('a deferred-index load drops the HNSW index while its jobs run and the last job builds it', async () => {
    const c = await ensureCollection(db.pool, 'deferred', embedding);
    await buildCollectionIndex(db.pool, c);
    expect(await hasCollectionIndex(db.pool, c)).toBe(true);
    await enqueueJobs(
      db.pool,
      ['faq', 'guide', 'reference'].map((d) => ({ collection: 'deferred', source: path.join(demoSite, d), kind: 'path' as const, options: { deferIndex: true } })),
    );
    const indexWhenDone: boolean[] = [];
    const events: WorkerEvent[] = [];
    const summary = await runWorker({
      db,
      pollMs: 20,
      embeddingFor: () => embedding,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'done') void hasCollectionIndex(db.pool, c).then((has) => indexWhenDone.push(has));
      },
    });
    expect(summary.done).toBe(3);
    expect(events.filter((e) => e.type === 'index')).toEqual([{ type: 'index', collection: 'deferred', ms: expect.any(Number) }]);
    expect(await hasCollectionIndex(db.pool, c)).toBe(true);
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks WHERE collection_id = $1', [c.id]);
    expect(rows[0]!.n).toBeGreaterThan(0);
    expect(indexWhenDone.slice(0, 2)).toEqual([false, false]);
  });

  test('a page job fetches robots.txt and its one page, not the sitemap', async () => {
    const page = new URL('faq/', site.url).href;
    await enqueueJobs(db.pool, [{ collection: 'one-page', source: page, kind: 'page', options: { allowPrivateNetwork: true } }]);
    site.hits.clear();
    await runWorker({ db, pollMs: 20, embeddingFor: () => embedding });
    expect([...site.hits.keys()].sort()).toEqual(['/faq/', '/robots.txt']);
    expect((await chunkSet('one-page')).length).toBeGreaterThan(0);
  });

  test('an index is built with the HNSW parameters asked for, once, and parameters out of range are refused', async () => {
    const c = await ensureCollection(db.pool, 'tuned', embedding);
    expect(await buildCollectionIndex(db.pool, c)).toBe(true);
    expect(await dropCollectionIndex(db.pool, c)).toBe(true);
    expect(await dropCollectionIndex(db.pool, c)).toBe(false);
    await expect(buildCollectionIndex(db.pool, c, { m: 1 })).rejects.toThrow(/Expected `m` to be an integer from 2 to 100 \(pgvector's range\), got `1` \(number\)/);
    const built = await Promise.all([buildCollectionIndex(db.pool, c, { m: 8, efConstruction: 40 }), buildCollectionIndex(db.pool, c, { m: 8, efConstruction: 40 })]);
    expect(built.sort()).toEqual([false, true]);
    const { rows } = await db.pool.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = $1', [collectionIndexName(c)]);
    expect(rows[0]!.indexdef).toMatch(/USING hnsw .*vector_cosine_ops\) WITH \(m='?8'?, ef_construction='?40'?\) WHERE \(collection_id = /);
  });

  test("a deferred-index job whose worker died on its last attempt is buried and its collection's index rebuilt", async () => {
    const c = await ensureCollection(db.pool, 'orphaned', embedding);
    await dropCollectionIndex(db.pool, c);
    const [job] = await enqueueJobs(db.pool, [{ collection: 'orphaned', source: path.join(demoSite, 'faq'), kind: 'path', maxAttempts: 1, options: { deferIndex: true } }]);
    await claimJob(db.pool, 'killed-worker', 1);
    await sleep(20);
    const events: WorkerEvent[] = [];
    await runWorker({ db, pollMs: 20, embeddingFor: () => embedding, onEvent: (e) => events.push(e) });
    expect(await getJob(db.pool, job!.id)).toMatchObject({ state: 'dead', attempts: 1 });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['failed', 'index']));
    expect(await hasCollectionIndex(db.pool, c)).toBe(true);
  });
});
