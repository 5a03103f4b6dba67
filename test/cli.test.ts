/**
 * The ragline command as a user runs it, in this process: a real site on loopback, one database
 * per store shared by the commands (the embedded one, and the server when DATABASE_URL is set).
 * The built bin in a child process, where a process is what is tested: its exit codes, and the
 * embedded database's lock between processes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import { runCli, runCliInProcess } from './support/cli.js';

describe('ragline --help', () => {
  test.each(['', 'ingest', 'search', 'ask', 'collections', 'collections index', 'collections delete', 'collections rename', 'documents', 'documents list', 'documents remove', 'demo'])('ragline %s --help describes the command', async (name) => {
    const cmd = name ? name.split(' ') : [];
    const r = await runCliInProcess([...cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ragline/);
    if (cmd.length === 0) expect(r.stdout).toMatch(/ingest[\s\S]*search[\s\S]*ask[\s\S]*collections[\s\S]*demo[\s\S]*OPENAI_API_KEY[\s\S]*DATABASE_URL/);
  });
});

describe('the ragline bin', () => {
  test('prints its help and exits 0; a bad flag is one line and exit code 2 (usage)', async () => {
    const help = await runCli(['--help']);
    expect([help.code, help.stdout]).toEqual([0, expect.stringMatching(/^Usage: ragline/)]);
    const bad = await runCli(['search', 'x', '-k', 'zero']);
    expect([bad.code, bad.stderr]).toEqual([2, 'ragline: Expected --k to be an integer from 1 and up, got `zero` (string).\n']);
  });
});

describeEachDatabase('ragline CLI', (backend) => {
  let site: StaticServer;
  let dataDir: string;
  let database: Database & { drop(): Promise<void> };
  const run = (args: string[]) => runCliInProcess(args, { database });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-cli-'));
    site = await serveStatic(path.join(packageRoot(), 'demo-site'));
    database = await freshDatabase(backend);
  });
  afterAll(async () => {
    await site?.close();
    await database?.drop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  });

  test('ingest says which models it uses and ends with a one-line summary', async () => {
    const r = await run(['ingest', site.url, '--collection', 'docs', '--allow-private-network']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^Using embeddings local\/lexical-hash-v1 \(1024 d\) — no OPENAI_API_KEY or OPENAI_BASE_URL: offline models$/m);
    expect(r.stderr).toMatch(/^Ingested 16 documents into "docs" in [\d.]+ (ms|s): 16 new, 0 changed, 0 unchanged · \d+ chunks written/m);
  });

  test('ingest --json prints the summary for scripts; a re-run changes nothing', async () => {
    const r = await run(['ingest', site.url, '--collection', 'docs', '--allow-private-network', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ collection: 'docs', documents: 16, unchanged: 16, new: 0, embeddedChunks: 0 });
  });

  test('search --json gives an array of results with url, score and text', async () => {
    const r = await run(['search', 'how', 'do', 'I', 'schedule', 'a', 'cron', 'job?', '--collection', 'docs', '-k', '3', '--json']);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as Array<{ url: string; score: number; text: string }>;
    expect(results).toHaveLength(3);
    for (const x of results) expect(x).toEqual(expect.objectContaining({ url: expect.stringContaining(site.url), score: expect.any(Number), text: expect.any(String) }));
  });

  test('ask streams an answer and lists the cited sources; --json gives answer and sources', async () => {
    const text = await run(['ask', 'Which databases other than PostgreSQL are supported?', '--collection', 'docs']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/\[\d\][\s\S]*\nSources:\n\[\d\] .+ — http:\/\/127\.0\.0\.1:\d+\//);
    const json = await run(['ask', 'Which databases other than PostgreSQL are supported?', '--collection', 'docs', '--json']);
    const parsed = JSON.parse(json.stdout) as { answer: string; sources: Array<{ url: string; cited: boolean }> };
    expect(parsed.answer).toMatch(/\[\d\]/);
    expect(parsed.sources.length).toBeGreaterThan(0);
    expect(parsed.sources[0]!.url).toContain(site.url);
  });

  test('collections --json lists each collection with its counts', async () => {
    const r = await run(['collections', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ name: string; documents: number; chunks: number; embeddingModel: string; dimensions: number }>;
    expect(rows).toEqual([expect.objectContaining({ name: 'docs', documents: 16, embeddingModel: 'lexical-hash-v1', dimensions: 1024, index: {} })]);
    expect(rows[0]!.chunks).toBeGreaterThan(60);
  });

  test('errors are one line that says what to do, with a non-zero exit', async () => {
    const missing = await run(['search', 'x', '--collection', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/^ragline: No collection named "nope" \(there are: docs\): ingest something into it first/);
    const refused = await run(['ingest', site.url, '--collection', 'other']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n').at(-1)).toMatch(/^ragline: Refusing to fetch .*--allow-private-network/);
    const badFlag = await run(['search', 'x', '-k', 'zero']);
    expect(badFlag.code).not.toBe(0);
    expect(badFlag.stderr).toMatch(/Expected --k to be an integer from 1 and up, got `zero` \(string\)/);
    const noSource = await run(['ingest', '/no/such/folder']);
    expect(noSource.stderr.trim().split('\n').at(-1)).toBe('ragline: Cannot ingest "/no/such/folder": it is not an http(s) URL and no such file or folder exists.');
  });

  describe('metadata, filters and HNSW settings', () => {
    interface Result {
      url: string;
      metadata: Record<string, unknown>;
    }
    interface CollectionRow {
      name: string;
      index: Record<string, number>;
    }
    const json = async <T>(args: string[]): Promise<T> => {
      const r = await run(args);
      if (r.code !== 0) throw new Error(`ragline ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    };
    let api: string;
    let cli: string;
    beforeAll(async () => {
      api = path.join(dataDir, 'sources', 'api');
      cli = path.join(dataDir, 'sources', 'cli');
      await mkdir(api, { recursive: true });
      await mkdir(cli, { recursive: true });
      await writeFile(path.join(api, 'quotas.md'), '# API quotas\n\nThe Wombat API allows 600 requests per minute per key.\n');
      await writeFile(path.join(api, 'keys.md'), '# API keys\n\nWombat API keys are rotated every 90 days; the quota is per key.\n');
      await writeFile(path.join(cli, 'quotas.md'), '# CLI quotas\n\nThe Wombat CLI uploads at most 20 files per minute, within the quota.\n');
    });

    test('ingest --metadata tags each source; search and ask --filter keep to the sources that match', async () => {
      // 3.10 would read back as 3.1: it stays the string "3.10", as a version is meant.
      const a = await run(['ingest', api, '-c', 'tagged', '--metadata', 'product=api', '--metadata', 'version=3.10']);
      expect(a.code).toBe(0);
      const c = await run(['ingest', cli, '-c', 'tagged', '--metadata', 'product=cli', '--metadata', 'beta=true', '--metadata', 'max=20', '--metadata', 'note=uploads=files']);
      expect(c.code).toBe(0);

      const query = ['Wombat', 'quota', 'per', 'minute', '-c', 'tagged', '-k', '10', '--json'];
      const all = await json<Result[]>(['search', ...query]);
      expect(new Set(all.map((r) => r.metadata.product))).toEqual(new Set(['api', 'cli']));
      const onlyCli = await json<Result[]>(['search', ...query, '--filter', 'product=cli', '--ef-search', '100']);
      expect(onlyCli.length).toBe(1);
      expect(onlyCli[0]).toMatchObject({ url: expect.stringContaining('/cli/quotas.md'), metadata: { product: 'cli', beta: true, max: 20, note: 'uploads=files' } });
      const onlyApi = await json<Result[]>(['search', ...query, '--filter', 'version=3.10']);
      expect(await json<Result[]>(['search', ...query, '--filter', 'version="3.10"'])).toEqual(onlyApi);
      expect(onlyApi.length).toBe(2);
      expect(onlyApi.every((r) => r.url.includes('/api/') && r.metadata.version === '3.10')).toBe(true);
      // Several filters must all match; a number is matched as a number.
      expect(await json<Result[]>(['search', ...query, '--filter', 'product=cli', '--filter', 'max=20'])).toHaveLength(1);
      expect(await json<Result[]>(['search', ...query, '--filter', 'product=api', '--filter', 'beta=true'])).toEqual([]);
      const none = await run(['search', ...query.filter((x) => x !== '--json'), '--filter', 'product=web']);
      expect(none.stdout).toBe('No matching chunks with metadata {"product":"web"}.\n');

      const answer = await json<{ sources: Array<{ url: string }> }>(['ask', 'How', 'many', 'files', 'per', 'minute?', '-c', 'tagged', '--filter', 'product=api', '--json']);
      expect(answer.sources.length).toBeGreaterThan(0);
      expect(answer.sources.every((s) => s.url.includes('/api/'))).toBe(true);
    });

    test('ingest --m --ef-construction --ef-search create the collection with them; an existing one keeps its own and says how to change them', async () => {
      const created = await run(['ingest', cli, '-c', 'tuned', '--m', '8', '--ef-construction', '32', '--ef-search', '64']);
      expect(created.code).toBe(0);
      expect(created.stderr).not.toMatch(/keeps its HNSW settings/);
      const rows = await json<CollectionRow[]>(['collections', '--json']);
      expect(rows.find((r) => r.name === 'tuned')!.index).toEqual({ m: 8, efConstruction: 32, efSearch: 64 });
      expect(rows.find((r) => r.name === 'docs')!.index).toEqual({});

      const again = await run(['ingest', cli, '-c', 'tuned', '--m', '12', '--ef-search', '64']);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain(
        'Collection "tuned" exists and keeps its HNSW settings (m 8, ef_construction 32, ef_search 64): --m, --ef-search apply only to a collection the ingest creates; to change them, run `ragline collections index tuned --m 12 --ef-search 64`.',
      );
      const table = await run(['collections']);
      expect(table.stdout).toMatch(/^NAME\s+EMBEDDING MODEL\s+DIMS\s+DOCUMENTS\s+CHUNKS\s+TOKENS\s+INDEX\s+HNSW M\s+EF_CONSTRUCTION\s+EF_SEARCH$/m);
      expect(table.stdout).toMatch(/^tuned\s+local\/lexical-hash-v1\s+1024\s+1\s+1\s+\d+\s+exact\s+8\s+32\s+64$/m);
      expect(table.stderr).toMatch(/INDEX exact: no HNSW index yet, searches scan every chunk .* an ingest builds it once the collection has [\d,]+ chunks\./);
      expect(table.stdout).toMatch(/^docs\s+.*\s+16\s+64\s+40$/m);
    });

    test('collections index changes the settings, says what changed and whether the index was rebuilt; default resets one', async () => {
      const efSearch = await run(['collections', 'index', 'tuned', '--ef-search', '100']);
      expect([efSearch.code, efSearch.stdout]).toEqual([0, 'Collection "tuned": ef_search 64 → 100 (no rebuild needed, searches use it from now on).\n']);
      const graph = await json<Record<string, unknown>>(['collections', 'index', 'tuned', '--m', '12', '--ef-construction', '48', '--json']);
      expect(graph).toEqual({
        name: 'tuned',
        index: { m: 12, efConstruction: 48, efSearch: 100 },
        effective: { m: 12, efConstruction: 48, efSearch: 100 },
        changed: { m: { from: 8, to: 12 }, efConstruction: { from: 32, to: 48 } },
        // A one-chunk collection has no index yet: nothing to rebuild.
        rebuilt: false,
      });
      const reset = await run(['collections', 'index', 'tuned', '--m', 'default', '--ef-construction', 'default']);
      expect(reset.stdout).toBe('Collection "tuned": m 12 → 16, ef_construction 48 → 64 (no index yet: it is built with these settings once the collection is large enough).\n');
      expect((await json<CollectionRow[]>(['collections', '--json'])).find((r) => r.name === 'tuned')!.index).toEqual({ efSearch: 100 });
      const same = await run(['collections', 'index', 'tuned', '--ef-search', '100']);
      expect(same.stdout).toBe('Collection "tuned": nothing changed (m 16, ef_construction 64, ef_search 100).\n');
      // Searches still find the chunks (an exact scan: no index yet).
      expect(await json<Result[]>(['search', 'Wombat', 'files', '-c', 'tuned', '--mode', 'vector', '--json'])).toHaveLength(1);
    });

    test('mistakes in key=value flags and HNSW numbers are one line that says what is expected', async () => {
      const lastLine = async (args: string[]) => {
        const r = await run(args);
        // The whole stderr shows when this fails. A value that does not parse is a usage error (2); one found wrong once the command runs, an error (1).
        expect([[1, 2].includes(r.code!), r.stderr]).toEqual([true, expect.stringMatching(/^ragline: .*\n$/m)]);
        return r.stderr.trim().split('\n').at(-1);
      };
      expect(await lastLine(['ingest', cli, '-c', 'tagged', '--metadata', 'product'])).toBe('ragline: Expected --metadata to be key=value (for example --metadata product=api), got `product` (string).');
      expect(await lastLine(['search', 'x', '-c', 'tagged', '--filter', '=api'])).toBe('ragline: Expected --filter to be key=value (for example --filter product=api), got `=api` (string).');
      expect(await lastLine(['ask', 'x', '-c', 'tagged', '--filter', 'a=1', '--filter', 'a=2'])).toBe(
        'ragline: --filter gives "a" twice: give each key once (a JSON array such as a=\'["a","b"]\' holds several values).',
      );
      expect(await lastLine(['search', 'x', '-c', 'tagged', '--ef-search', '0'])).toBe("ragline: Expected --ef-search to be an integer from 1 to 1000 (pgvector's range), got `0` (number).");
      expect(await lastLine(['ingest', cli, '-c', 'new', '--m', 'many'])).toBe('ragline: Expected --m to be an integer, got `many` (string).');
      expect(await lastLine(['ingest', cli, '-c', 'new', '--m', '32', '--ef-construction', '40'])).toBe('ragline: Expected --ef-construction to be at least twice --m (64), got 40.');
      expect(await lastLine(['collections', 'index', 'tuned', '--m', 'dflt'])).toBe('ragline: Expected --m to be an integer or "default", got `dflt` (string).');
      expect(await lastLine(['collections', 'index', 'tuned'])).toBe(
        'ragline: Nothing to change: give --m, --ef-construction or --ef-search (a number, or `default`), e.g. `ragline collections index tuned --ef-search 100`.',
      );
      expect(await lastLine(['collections', 'index', 'nope', '--m', '8'])).toMatch(/^ragline: No collection named "nope" \(there are: .*\): ingest something into it first/);
      expect((await json<CollectionRow[]>(['collections', '--json'])).map((r) => r.name)).not.toContain('new');
    });
  });

  test('a collection keeps its embedding model: another one is refused', async () => {
    const r = await run(['ingest', site.url, '--collection', 'docs', '--allow-private-network', '--dimensions', '512']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Collection "docs" holds local\/lexical-hash-v1 vectors \(1024 d\), not local\/lexical-hash-v1 \(512 d\)/);
  });
});

describe('the embedded database lock', () => {
  test('a second process on the same data folder is told who holds it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-lock-'));
    // A lock held by a live process (this test's own parent, the Jest worker).
    await writeFile(path.join(dir, 'ragline.lock'), String(process.pid));
    const r = await runCli(['collections'], { env: { RAGLINE_DATA_DIR: dir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`in use by process ${process.pid}: wait for it to finish, or set DATABASE_URL`));
    // A stale lock (no such process) is taken over.
    await writeFile(path.join(dir, 'ragline.lock'), '999999999');
    const ok = await runCli(['collections'], { env: { RAGLINE_DATA_DIR: dir } });
    expect(ok.code).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });
});
