/**
 * Managing what is stored, as users do it from the CLI (in this process, one database per store):
 * `collections delete|rename` and `documents list|remove`.
 */
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import { claimJob } from '../src/jobs/queue.js';
import { buildCollectionIndex, collectionIndexName, requireCollection } from '../src/store/collections.js';
import { runCliInProcess } from './support/cli.js';
import { waitFor } from './support/wait-for.js';

/** A terminal's stdin on which the user types `answer`. */
function typed(answer: string): PassThrough & { isTTY: boolean } {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  input.end(`${answer}\n`);
  return input;
}

interface DocumentsJson {
  collection: string;
  total: number;
  documents: Array<{ url: string; title: string; chunks: number; tokens: number; updatedAt: string }>;
}

describeEachDatabase('managing collections and documents from the CLI', (backend) => {
  let site: StaticServer;
  let database: Database & { drop(): Promise<void> };
  const run = (args: string[], stdin?: PassThrough & { isTTY: boolean }) => runCliInProcess(args, { database, ...(stdin ? { stdin } : {}) });
  const ingest = (collection: string) => run(['ingest', site.url, '--collection', collection, '--allow-private-network', '--json']);
  const count = async (sql: string, params: unknown[]): Promise<number> => Number((await database.pool.query<{ n: string }>(sql, params)).rows[0]!.n);
  const collectionNames = async () => (JSON.parse((await run(['collections', '--json'])).stdout) as Array<{ name: string }>).map((c) => c.name);

  beforeAll(async () => {
    site = await serveStatic(path.join(packageRoot(), 'demo-site'));
    database = await freshDatabase(backend);
    expect((await ingest('docs')).code).toBe(0);
  });
  afterAll(async () => {
    await site?.close();
    await database?.drop();
  });

  test('documents list shows url, title, chunks and update time; --json and --limit for scripts', async () => {
    const text = await run(['documents', 'list', '--collection', 'docs']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^URL\s+TITLE\s+CHUNKS\s+UPDATED$/);
    expect(lines).toHaveLength(17);
    expect(lines[1]).toMatch(new RegExp(`^${site.url}\\S*\\s+\\S.*\\s+\\d+\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`));
    expect(text.stderr).toMatch(/^16 documents in "docs"\.$/m);
    const all = JSON.parse((await run(['documents', 'list', '-c', 'docs', '--json'])).stdout) as DocumentsJson;
    expect(all.total).toBe(16);
    expect(all.documents.reduce((n, d) => n + d.chunks, 0)).toBe(await count('SELECT count(*) AS n FROM chunks k JOIN collections c ON c.id = k.collection_id WHERE c.name = $1', ['docs']));
    const some = await run(['documents', 'list', '-c', 'docs', '--limit', '3', '--json']);
    expect((JSON.parse(some.stdout) as DocumentsJson).documents.map((d) => d.url)).toEqual(all.documents.slice(0, 3).map((d) => d.url));
    const missing = await run(['documents', 'list', '-c', 'nope']);
    expect([missing.code, missing.stderr.trim().split('\n').at(-1)]).toEqual([1, expect.stringMatching(/^ragline: No collection named "nope"/)]);
  });

  test('documents remove deletes pages with their chunks, names URLs not found, and the next crawl fetches them again', async () => {
    const { documents } = JSON.parse((await run(['documents', 'list', '-c', 'docs', '--json'])).stdout) as DocumentsJson;
    const [a, b] = [documents[3]!, documents[4]!];
    const unknown = `${site.url}no-such-page`;
    const r = await run(['documents', 'remove', a.url, b.url, unknown, '-c', 'docs']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Removed 2 documents (${a.chunks + b.chunks} chunks) from "docs"; the next crawl fetches them again.`);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`ragline: 1 of 3 URLs not found in "docs" (nothing removed for it): ${unknown}. \`ragline documents list -c docs\` shows the stored URLs.`);
    expect(await count('SELECT count(*) AS n FROM documents WHERE source = ANY($1)', [[a.url, b.url]])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM crawl_pages WHERE document_url = ANY($1)', [[a.url, b.url]])).toBe(0);
    // The re-crawl sends no conditional request for them: they come back as new, the rest unchanged.
    const again = JSON.parse((await ingest('docs')).stdout) as { new: number; unchanged: number; changed: number };
    expect(again).toMatchObject({ new: 2, unchanged: 14, changed: 0 });
    const json = await run(['documents', 'remove', a.url, '-c', 'docs', '--json']);
    expect([json.code, JSON.parse(json.stdout)]).toEqual([0, { collection: 'docs', removed: [a.url], missing: [], chunks: a.chunks }]);
  });

  test('collections rename moves the collection and its queued jobs; an existing name is refused', async () => {
    expect((await ingest('old')).code).toBe(0);
    expect((await ingest('taken')).code).toBe(0);
    expect((await run(['jobs', 'add', path.join(packageRoot(), 'demo-site', 'faq'), '-c', 'old'])).code).toBe(0);
    const refused = await run(['collections', 'rename', 'old', 'taken']);
    expect([refused.code, refused.stderr]).toEqual([1, 'ragline: A collection named "taken" exists already: pick another name, or delete it first with `ragline collections delete taken`. Nothing was renamed.\n']);
    const bad = await run(['collections', 'rename', 'old', 'no spaces']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/^ragline: Invalid collection name `no spaces`/)]);
    const renamed = await run(['collections', 'rename', 'old', 'new']);
    expect([renamed.code, renamed.stderr]).toEqual([0, 'Renamed collection "old" to "new" (and its 1 job).\n']);
    expect(await collectionNames()).toEqual(expect.arrayContaining(['new', 'taken']));
    expect(await collectionNames()).not.toContain('old');
    expect(await count("SELECT count(*) AS n FROM jobs WHERE collection = 'new'", [])).toBe(1);
    const found = JSON.parse((await run(['search', 'cron', 'job', '-c', 'new', '--json'])).stdout) as unknown[];
    expect(found.length).toBeGreaterThan(0);
  });

  test('collections delete refuses without --yes off a terminal, asks on one, and deletes everything of it in one go', async () => {
    const holding = async (name: string) => ({
      collections: await count('SELECT count(*) AS n FROM collections WHERE name = $1', [name]),
      documents: await count('SELECT count(*) AS n FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = $1', [name]),
      jobs: await count('SELECT count(*) AS n FROM jobs WHERE collection = $1', [name]),
    });
    const before = await holding('new');
    expect(before).toEqual({ collections: 1, documents: 16, jobs: 1 });

    const refused = await run(['collections', 'delete', 'new']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ragline: Refusing to delete collection "new" \(16 documents, \d+ chunks\) without confirmation: stdin is not a terminal; add --yes to delete it\.\n$/);
    const declined = await run(['collections', 'delete', 'new'], typed('n'));
    expect(declined.code).toBe(1);
    expect(declined.stderr).toMatch(/^Delete collection "new" \(16 documents, \d+ chunks\), its crawl state and jobs\? This cannot be undone\. \[y\/N\] ragline: Not deleted/);
    expect(await holding('new')).toEqual(before);

    // Ctrl-C at the question: interrupted (130), nothing deleted.
    const waiting = Object.assign(new PassThrough(), { isTTY: true });
    const controller = new AbortController();
    const interrupted = runCliInProcess(['collections', 'delete', 'new'], { database, stdin: waiting, signal: controller.signal });
    await waitFor(async () => (await count("SELECT count(*) AS n FROM collections WHERE name = 'new'", [])) === 1 && waiting.listenerCount('data') > 0);
    controller.abort();
    expect((await interrupted).code).toBe(130);
    expect(await holding('new')).toEqual(before);

    // A job of it that a worker is running: refused, nothing deleted.
    const claimed = await claimJob(database.pool, 'test-worker', 60_000);
    expect(claimed?.collection).toBe('new');
    const busy = await run(['collections', 'delete', 'new', '--yes']);
    expect([busy.code, busy.stderr]).toEqual([1, `ragline: Collection "new" has a running job (#${claimed!.id}): wait for it or \`ragline jobs cancel ${claimed!.id}\`, then delete again. Nothing was deleted.\n`]);
    await database.pool.query(`UPDATE jobs SET state = 'cancelled' WHERE id = $1`, [claimed!.id]);

    // Its HNSW index, as a collection past the index threshold has one, goes with it.
    const doomed = await requireCollection(database.pool, 'new');
    expect(await buildCollectionIndex(database.pool, doomed)).toBe(true);
    const yes = await run(['collections', 'delete', 'new'], typed('yes'));
    expect(yes.code).toBe(0);
    expect(yes.stderr).toMatch(/Deleted collection "new": 16 documents, \d+ chunks, the crawl state of 1 start URL, 1 job\.\n$/);
    expect(await holding('new')).toEqual({ collections: 0, documents: 0, jobs: 0 });
    expect(await count("SELECT count(*) AS n FROM crawl_pages p LEFT JOIN collections c ON c.id = p.collection_id WHERE c.id IS NULL", [])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM pg_indexes WHERE indexname = $1', [collectionIndexName(doomed)])).toBe(0);

    const json = await run(['collections', 'delete', 'taken', '--yes', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ name: 'taken', documents: 16, chunks: expect.any(Number), crawls: 1, jobs: 0 });
    const gone = await run(['collections', 'delete', 'taken', '--yes']);
    expect([gone.code, gone.stderr]).toEqual([1, expect.stringMatching(/^ragline: No collection named "taken" \(there are: docs\)/)]);
  });
});
