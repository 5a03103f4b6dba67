/**
 * `ragline jobs` and `ragline worker` as users run them, in this process on one database per
 * store. On the server, the built CLI in child processes: three workers sharing a queue, and
 * workers killed with SIGKILL or stopped with SIGTERM mid-job, then rerun.
 */
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeEachDatabase, freshDatabase, serverUrl } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { runCliInProcess, startCli, type CliRun } from './support/cli.js';
import { waitFor } from './support/wait-for.js';

const demoSite = path.join(packageRoot(), 'demo-site');

/** `ragline ...args` in this process, on `database`. */
const runOn = (database: Database, args: string[], env: NodeJS.ProcessEnv = {}) => runCliInProcess(args, { env, database });

/** The JSON a run printed; its stderr when it failed. */
function parsed<T>(args: string[], r: CliRun): T {
  if (r.code !== 0) throw new Error(`ragline ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

interface JobJson {
  id: number;
  state: string;
  attempts: number;
  error: string | null;
  source: string;
  pages: number;
  chunks: number;
}

describeEachDatabase('ragline jobs and worker commands', (backend) => {
  let dataDir: string;
  let database: Database & { drop(): Promise<void> };
  const run = (args: string[]) => runOn(database, args);
  const json = async <T>(args: string[]): Promise<T> => parsed<T>(args, await run(args));
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-jobs-cli-'));
    database = await freshDatabase(backend);
  });
  afterAll(async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('jobs add, list --json, worker --exit-when-idle, show --json: every job done once', async () => {
    const added = await json<JobJson[]>(['jobs', 'add', path.join(demoSite, 'faq'), path.join(demoSite, 'guide'), '-c', 'cli', '--json']);
    expect(added.map((j) => [j.state, j.attempts, j.error])).toEqual([
      ['queued', 0, null],
      ['queued', 0, null],
    ]);
    const w = await run(['worker', '--exit-when-idle', '--poll-ms', '50']);
    expect(w.code).toBe(0);
    for (const j of added) expect(w.stderr).toContain(`job ${j.id} done`);
    const listed = await json<JobJson[]>(['jobs', 'list', '--json', '-c', 'cli']);
    expect(listed.map((j) => [j.id, j.state, j.attempts, j.error])).toEqual(added.map((j) => [j.id, 'done', 1, null]).reverse());
    const shown = await json<JobJson>(['jobs', 'show', String(added[0]!.id), '--json']);
    expect(shown).toMatchObject({ id: added[0]!.id, state: 'done', attempts: 1, error: null });
    expect(shown.chunks).toBeGreaterThan(0);
  });

  test('a job whose folder vanished is dead with its error; cancel and retry work by id', async () => {
    const folder = path.join(dataDir, 'vanishing');
    await cp(path.join(demoSite, 'faq'), folder, { recursive: true });
    const [gone] = await json<JobJson[]>(['jobs', 'add', folder, '-c', 'cli2', '--json']);
    const [other] = await json<JobJson[]>(['jobs', 'add', path.join(demoSite, 'reference'), '-c', 'cli2', '--json']);
    await rm(folder, { recursive: true });

    const cancel = await run(['jobs', 'cancel', String(other!.id)]);
    expect(cancel.stderr).toContain(`Job ${other!.id} is cancelled.`);
    expect((await run(['worker', '--exit-when-idle', '--poll-ms', '50'])).code).toBe(0);

    const dead = await json<JobJson>(['jobs', 'show', String(gone!.id), '--json']);
    expect(dead).toMatchObject({ state: 'dead', attempts: 1 });
    expect(dead.error).toMatch(/no such file or folder exists/);
    expect((await json<JobJson>(['jobs', 'show', String(other!.id), '--json'])).state).toBe('cancelled');

    const retry = await run(['jobs', 'retry', String(other!.id)]);
    expect(retry.stderr).toContain(`Job ${other!.id} is queued.`);
    expect((await run(['worker', '--exit-when-idle', '--poll-ms', '50'])).code).toBe(0);
    expect((await json<JobJson>(['jobs', 'show', String(other!.id), '--json'])).state).toBe('done');

    const text = await run(['jobs', 'list', '--state', 'dead']);
    expect(text.stdout).toMatch(new RegExp(`^\\s*${gone!.id}\\s+dead\\s+1/3\\s+cli2\\s+path`, 'm'));
  });

  test('jobs add --metadata: the workers tag every chunk of the job, and search --filter finds them', async () => {
    const [tagged] = await json<Array<JobJson & { options: Record<string, unknown> }>>(
      ['jobs', 'add', path.join(demoSite, 'faq'), '-c', 'cli3', '--metadata', 'section=faq', '--metadata', 'reviewed=true', '--json'],
    );
    expect(tagged!.options).toEqual({ metadata: { section: 'faq', reviewed: true } });
    await json<JobJson[]>(['jobs', 'add', path.join(demoSite, 'guide', 'retries'), '-c', 'cli3', '--metadata', 'section=guide', '--json']);
    expect((await run(['worker', '--exit-when-idle', '--poll-ms', '50'])).code).toBe(0);
    const query = ['search', 'how', 'are', 'failed', 'jobs', 'retried?', '-c', 'cli3', '-k', '20', '--json'];
    const all = await json<Array<{ url: string; metadata: Record<string, unknown> }>>(query);
    expect(new Set(all.map((r) => r.metadata.section))).toEqual(new Set(['faq', 'guide']));
    const faq = await json<Array<{ url: string; metadata: Record<string, unknown> }>>([...query, '--filter', 'section=faq']);
    expect(faq.length).toBeGreaterThan(0);
    expect(faq.every((r) => r.url.includes('/faq/') && r.metadata.reviewed === true)).toBe(true);
    const bad = await run(['jobs', 'add', path.join(demoSite, 'faq'), '--metadata', 'section']);
    expect([bad.code, bad.stderr]).toEqual([2, 'ragline: Expected --metadata to be key=value (for example --metadata product=api), got `section` (string).\n']);
  });

  test('jobs add takes the ingest flags: its job stores the chunks `ragline ingest` stores with the same flags', async () => {
    const site = await serveStatic(demoSite);
    try {
      const flags = ['--allow-private-network', '--concurrency', '1', '--max-pages', '5', '--exclude', '/faq/*', '--chunk-tokens', '120', '--chunk-overlap', '20', '--metadata', 'via=flags', '--m', '8', '--ef-search', '50'];
      const direct = await run(['ingest', site.url, '-c', 'flags-ingest', ...flags]);
      expect(direct.code).toBe(0);
      const [job] = await json<Array<JobJson & { options: Record<string, unknown> }>>(['jobs', 'add', site.url, '-c', 'flags-job', ...flags, '--json']);
      expect(job!.options).toEqual({
        allowPrivateNetwork: true,
        concurrency: 1,
        maxPages: 5,
        exclude: ['/faq/*'],
        chunkTokens: 120,
        chunkOverlap: 20,
        metadata: { via: 'flags' },
        index: { m: 8, efSearch: 50 },
      });
      expect((await run(['worker', '--exit-when-idle', '--poll-ms', '50'])).code).toBe(0);
      expect((await json<JobJson>(['jobs', 'show', String(job!.id), '--json'])).state).toBe('done');

      const collections = await json<Array<{ name: string; index: unknown; documents: number }>>(['collections', '--json']);
      const [viaIngest, viaJob] = ['flags-ingest', 'flags-job'].map((name) => collections.find((c) => c.name === name)!);
      expect(viaJob).toMatchObject({ index: { m: 8, efSearch: 50 }, documents: 5 });
      expect(viaIngest).toMatchObject({ index: viaJob!.index, documents: viaJob!.documents });
      const rows = await chunkRows(database, 'flags-job');
      expect(rows.some((r) => r.includes('/faq/'))).toBe(false);
      expect(await chunkRows(database, 'flags-ingest')).toEqual(rows);
      const metadata = await database.pool.query<{ metadata: unknown }>(
        `SELECT DISTINCT k.metadata FROM chunks k JOIN collections c ON c.id = k.collection_id WHERE c.name IN ('flags-ingest', 'flags-job')`,
      );
      expect(metadata.rows.map((r) => r.metadata)).toEqual([{ via: 'flags' }]);
    } finally {
      await site.close();
    }
  });

  test('jobs add --urls queues one page job per URL; the worker fetches those pages, not their sites', async () => {
    const site = await serveStatic(demoSite);
    try {
      const list = path.join(dataDir, 'pages.txt');
      const pages = ['faq/index.html', 'troubleshooting/index.html'].map((p) => new URL(p, site.url).href);
      await writeFile(list, `# pages changed today\n${pages[0]}\n\n${pages[1]}\n`);
      const added = await json<JobJson[]>(['jobs', 'add', '--urls', list, '-c', 'pages', '--allow-private-network', '--json']);
      expect(added.map((j) => [j.source, (j as JobJson & { kind: string }).kind])).toEqual(pages.map((p) => [p, 'page']));
      expect((await run(['worker', '--exit-when-idle', '--poll-ms', '50'])).code).toBe(0);
      const docs = JSON.parse((await run(['documents', 'list', '-c', 'pages', '--json'])).stdout) as { documents: Array<{ url: string }> };
      expect(docs.documents.map((d) => d.url).sort()).toEqual(pages.map((p) => p.replace(/index\.html$/, '')).sort());

      // A page that is not there is dead at once with its error, not retried: no retry brings it back.
      await writeFile(list, `${site.url}no-such-page.html\n`);
      const [dead] = await json<JobJson[]>(['jobs', 'add', '--urls', list, '-c', 'pages', '--allow-private-network', '--json']);
      expect((await run(['worker', '--exit-when-idle', '--poll-ms', '50'])).code).toBe(0);
      const shown = await json<JobJson>(['jobs', 'show', String(dead!.id), '--json']);
      expect([shown.state, shown.attempts, shown.error]).toEqual(['dead', 1, `The start URL ${site.url}no-such-page.html answered HTTP 404; check the address.`]);

      await writeFile(list, `${pages[0]}\n./not-a-url\n`);
      const bad = await run(['jobs', 'add', '--urls', list, '-c', 'pages']);
      expect([bad.code, bad.stderr]).toEqual([1, `ragline: Line 2 of ${list} is not an http(s) URL: "./not-a-url". A --urls file lists one page URL a line (# starts a comment).\n`]);
      const none = await run(['jobs', 'add', '-c', 'pages']);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/give a source to queue .*or --urls <file>/);
    } finally {
      await site.close();
    }
  });

  test('mistakes fail with one line: an unknown job, a missing source, a bad state', async () => {
    const unknown = await run(['jobs', 'show', '999999']);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([1, 'ragline: No job 999999: `ragline jobs list` shows the jobs there are.']);
    const missing = await run(['jobs', 'add', './no/such/folder']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^ragline: Cannot add "\.\/no\/such\/folder": it is not an http\(s\) URL and no such file or folder exists\.\n$/);
    const state = await run(['jobs', 'list', '--state', 'stuck']);
    expect(state.code).toBe(2);
    expect(state.stderr).toMatch(/Allowed choices are queued, running, done, failed, dead, cancelled/);
  });

  test('a worker (not --exit-when-idle) whose run is aborted stops as on Ctrl-C, with exit code 0', async () => {
    const r = await runCliInProcess(['worker', '--poll-ms', '50'], { database, signal: AbortSignal.abort() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Worker .* at a time\.\nStopping: no new jobs/m);
    expect(r.stderr).toMatch(/^Worker .* stopped: 0 done, 0 failed attempts, 0 released, 0 lost\.$/m);
  });
});

/** Chunk rows of a collection, comparable across collections: source, ordinal, text hash, vector. */
async function chunkRows(db: Database, collection: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ k: string }>(
    `SELECT d.source || '#' || k.ordinal || ':' || k.text_hash || ':' || md5(k.embedding::text) AS k
       FROM chunks k JOIN documents d ON d.id = k.document_id JOIN collections c ON c.id = k.collection_id
      WHERE c.name = $1 ORDER BY 1`,
    [collection],
  );
  return rows.map((r) => r.k);
}

(serverUrl ? describe : describe.skip)(
  serverUrl ? 'workers sharing a Postgres server' : 'workers sharing a Postgres server — skipped: DATABASE_URL is not set (several worker processes need a server)',
  () => {
    let db: Database & { url?: string; drop(): Promise<void> };
    let env: NodeJS.ProcessEnv;
    let standIn: OpenAIStandIn;
    let site: StaticServer;
    beforeAll(async () => {
      db = await freshDatabase('postgres');
      // Every embedding request takes a while, so that jobs overlap and a kill lands mid-job.
      standIn = await startOpenAIStandIn({ latencyMs: 120 });
      site = await serveStatic(demoSite);
      env = { OPENAI_BASE_URL: standIn.url, OPENAI_API_KEY: 'test-key' };
    });
    // Adding and listing jobs, and workers that are not the subject, run in this process; the
    // workers under test (in parallel, killed, signalled) are processes of the built bin.
    const run = (args: string[]) => runOn(db, args, env);
    const json = async <T>(args: string[]): Promise<T> => parsed<T>(args, await run(args));
    const startWorker = (args: string[]) => startCli(['worker', ...args], { env: { ...env, DATABASE_URL: db.url } });
    afterAll(async () => {
      await site?.close();
      await standIn?.close();
      await db?.drop();
    });

    const documents = async (collection: string) =>
      (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = $1', [collection])).rows[0]?.n ?? 0;
    const jobState = async (id: number) => (await db.pool.query<{ state: string; attempts: number; last_error: string | null }>('SELECT state, attempts, last_error FROM jobs WHERE id = $1', [id])).rows[0]!;

    test('three worker processes share many jobs: each done exactly once, the chunks those of a single worker', async () => {
      const files = (await readdir(demoSite, { recursive: true })).filter((f) => /\.(html|md)$/.test(f)).map((f) => path.join(demoSite, f));
      expect(files.length).toBeGreaterThan(8);
      await json<JobJson[]>(['jobs', 'add', ...files, '-c', 'single', '--json']);
      expect((await run(['worker', '--exit-when-idle', '--poll-ms', '50'])).code).toBe(0);

      const jobs = await json<JobJson[]>(['jobs', 'add', ...files, '-c', 'three', '--json']);
      const workers = await Promise.all([1, 2, 3].map(() => startWorker(['--exit-when-idle', '--poll-ms', '50', '--json']).done));
      const events = workers.flatMap((w, i) => {
        expect(w.code).toBe(0);
        return w.stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => ({ worker: i, ...(JSON.parse(l) as { type: string; jobId: number }) }));
      });
      const done = events.filter((e) => e.type === 'done').map((e) => e.jobId);
      const started = events.filter((e) => e.type === 'start').map((e) => e.jobId);
      expect([...done].sort((a, b) => a - b)).toEqual(jobs.map((j) => j.id));
      expect([...started].sort((a, b) => a - b)).toEqual(jobs.map((j) => j.id));
      // The work was shared: more than one worker finished jobs.
      expect(new Set(events.filter((e) => e.type === 'done').map((e) => e.worker)).size).toBeGreaterThan(1);
      const listed = await json<JobJson[]>(['jobs', 'list', '-c', 'three', '--json']);
      expect(listed.every((j) => j.state === 'done' && j.attempts === 1)).toBe(true);
      const single = await chunkRows(db, 'single');
      expect(single.length).toBeGreaterThan(files.length);
      expect(await chunkRows(db, 'three')).toEqual(single);
    });

    test('a worker killed with SIGKILL mid-job three times, then rerun: the same chunks as an uninterrupted run, none lost or duplicated', async () => {
      const addArgs = (c: string) => ['jobs', 'add', site.url, '-c', c, '--allow-private-network', '--embed-batch-size', '3', '--embed-concurrency', '1', '--json'];
      await json<JobJson[]>(addArgs('uninterrupted'));
      expect((await run(['worker', '--exit-when-idle', '--poll-ms', '50'])).code).toBe(0);
      const total = await documents('uninterrupted');
      expect(total).toBeGreaterThan(5);

      // Each kill spends an attempt: allow more than the three kills.
      const [job] = await json<JobJson[]>([...addArgs('killed'), '--max-attempts', '5']);
      for (let kill = 1; kill <= 3; kill++) {
        const before = await documents('killed');
        const w = startWorker(['--lease-seconds', '1', '--poll-ms', '50']);
        // Kill once this attempt has stored at least one more page, while pages remain.
        await waitFor(async () => (await documents('killed')) > before, { what: `a page stored by attempt ${kill}` });
        const stored = await documents('killed');
        expect(stored).toBeLessThan(total);
        w.child.kill('SIGKILL');
        expect((await w.done).signal).toBe('SIGKILL');
        // Killed mid-job: the job is still leased to the dead worker.
        expect(await jobState(job!.id)).toMatchObject({ state: 'running', attempts: kill });
      }
      const last = await run(['worker', '--exit-when-idle', '--lease-seconds', '1', '--poll-ms', '50']);
      expect(last.code).toBe(0);
      const final = await jobState(job!.id);
      expect(final).toMatchObject({ state: 'done', attempts: 4 });
      expect(final.last_error).toMatch(/attempt 3: worker .* stopped renewing its lease/);
      expect(await documents('killed')).toBe(total);
      expect(await chunkRows(db, 'killed')).toEqual(await chunkRows(db, 'uninterrupted'));
    });

    test('SIGTERM releases the running job to the queue, its attempt not counted, and the worker exits cleanly', async () => {
      const [job] = await json<JobJson[]>(
        ['jobs', 'add', site.url, '-c', 'terminated', '--allow-private-network', '--embed-batch-size', '3', '--embed-concurrency', '1', '--json'],
      );
      const w = startWorker(['--grace-seconds', '0', '--poll-ms', '50']);
      await waitFor(async () => (await documents('terminated')) > 0, { what: 'a page stored by the worker' });
      w.child.kill('SIGTERM');
      const r = await w.done;
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`job ${job!.id} released to the queue`);
      expect(await jobState(job!.id)).toMatchObject({ state: 'queued', attempts: 0 });
      // The next worker finishes it.
      expect((await run(['worker', '--exit-when-idle', '--poll-ms', '50'])).code).toBe(0);
      expect(await jobState(job!.id)).toMatchObject({ state: 'done', attempts: 1 });
    });
  },
);
