/**
 * The ragline command as a user runs it: the built CLI in a child process, a real site on
 * loopback, the embedded database in a temp folder (and the server when DATABASE_URL is set).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import { runCli } from './support/cli.js';

const run = (args: string[], env: NodeJS.ProcessEnv) => runCli(args, { env });

describe('ragline --help', () => {
  test.each(['', 'ingest', 'search', 'ask', 'collections', 'demo'])('ragline %s --help describes the command', async (name) => {
    const cmd = name ? [name] : [];
    const r = await run([...cmd, '--help'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ragline/);
    if (cmd.length === 0) expect(r.stdout).toMatch(/ingest[\s\S]*search[\s\S]*ask[\s\S]*collections[\s\S]*demo[\s\S]*OPENAI_API_KEY[\s\S]*DATABASE_URL/);
  });
});

describeEachDatabase('ragline CLI', (backend) => {
  let site: StaticServer;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-cli-'));
    site = await serveStatic(path.join(packageRoot(), 'demo-site'));
    if (backend === 'postgres') {
      const db = await freshDatabase('postgres');
      await db.close();
      env = { DATABASE_URL: db.url };
      drop = db.drop;
    } else {
      env = { RAGLINE_DATA_DIR: dataDir };
    }
  });
  afterAll(async () => {
    await site?.close();
    await drop?.().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  test('ingest says which models it uses and ends with a one-line summary', async () => {
    const r = await run(['ingest', site.url, '--collection', 'docs', '--allow-private-network'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Using embeddings local\/lexical-hash-v1 \(1024 d\) — no OPENAI_API_KEY or OPENAI_BASE_URL: offline models$/m);
    expect(r.stderr).toMatch(/^Ingested 16 documents into "docs" in [\d.]+ (ms|s): 16 new, 0 changed, 0 unchanged · \d+ chunks written/m);
  });

  test('ingest --json prints the summary for scripts; a re-run changes nothing', async () => {
    const r = await run(['ingest', site.url, '--collection', 'docs', '--allow-private-network', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ collection: 'docs', documents: 16, unchanged: 16, new: 0, embeddedChunks: 0 });
  });

  test('search --json gives an array of results with url, score and text', async () => {
    const r = await run(['search', 'how', 'do', 'I', 'schedule', 'a', 'cron', 'job?', '--collection', 'docs', '-k', '3', '--json'], env);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as Array<{ url: string; score: number; text: string }>;
    expect(results).toHaveLength(3);
    for (const x of results) expect(x).toEqual(expect.objectContaining({ url: expect.stringContaining(site.url), score: expect.any(Number), text: expect.any(String) }));
  });

  test('ask streams an answer and lists the cited sources; --json gives answer and sources', async () => {
    const text = await run(['ask', 'Which databases other than PostgreSQL are supported?', '--collection', 'docs'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\[\d\][\s\S]*\nSources:\n\[\d\] .+ — http:\/\/127\.0\.0\.1:\d+\//);
    const json = await run(['ask', 'Which databases other than PostgreSQL are supported?', '--collection', 'docs', '--json'], env);
    const parsed = JSON.parse(json.stdout) as { answer: string; sources: Array<{ url: string; cited: boolean }> };
    expect(parsed.answer).toMatch(/\[\d\]/);
    expect(parsed.sources.length).toBeGreaterThan(0);
    expect(parsed.sources[0]!.url).toContain(site.url);
  });

  test('collections --json lists each collection with its counts', async () => {
    const r = await run(['collections', '--json'], env);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ name: string; documents: number; chunks: number; embeddingModel: string; dimensions: number }>;
    expect(rows).toEqual([expect.objectContaining({ name: 'docs', documents: 16, embeddingModel: 'lexical-hash-v1', dimensions: 1024 })]);
    expect(rows[0]!.chunks).toBeGreaterThan(60);
  });

  test('errors are one line that says what to do, with a non-zero exit', async () => {
    const missing = await run(['search', 'x', '--collection', 'nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/^ragline: No collection named "nope" \(there are: docs\): ingest something into it first/);
    const refused = await run(['ingest', site.url, '--collection', 'other'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/^ragline: Refusing to fetch .*--allow-private-network/);
    const badFlag = await run(['search', 'x', '-k', 'zero'], env);
    expect(badFlag.code).not.toBe(0);
    expect(badFlag.stderr).toMatch(/Expected --k to be an integer from 1 and up, got `zero` \(string\)/);
    const noSource = await run(['ingest', '/no/such/folder'], env);
    expect(noSource.stderr.trim().split('\n').at(-1)).toBe('ragline: Cannot ingest "/no/such/folder": it is not an http(s) URL and no such file or folder exists.');
  });

  test('a collection keeps its embedding model: another one is refused', async () => {
    const r = await run(['ingest', site.url, '--collection', 'docs', '--allow-private-network', '--dimensions', '512'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Collection "docs" holds local\/lexical-hash-v1 vectors \(1024 d\), not local\/lexical-hash-v1 \(512 d\)/);
  });
});

describe('the embedded database lock', () => {
  test('a second process on the same data folder is told who holds it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-lock-'));
    // A lock held by a live process (this test's own parent, the Jest worker).
    await writeFile(path.join(dir, 'ragline.lock'), String(process.pid));
    const r = await run(['collections'], { RAGLINE_DATA_DIR: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`in use by process ${process.pid}: wait for it to finish, or set DATABASE_URL`));
    // A stale lock (no such process) is taken over.
    await writeFile(path.join(dir, 'ragline.lock'), '999999999');
    const ok = await run(['collections'], { RAGLINE_DATA_DIR: dir });
    expect(ok.code).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});
