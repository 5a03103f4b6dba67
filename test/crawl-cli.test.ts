/**
 * The crawl flags of `ragline ingest`, as a user runs them: the CLI in this process, the demo
 * site on loopback, one embedded store (in memory) for all the commands.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import type { Database } from '../src/store/database.js';
import { freshDatabase } from './support/databases.js';
import { runCliInProcess } from './support/cli.js';

describe('ragline ingest crawl flags', () => {
  let site: StaticServer;
  let database: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    [site, database] = await Promise.all([serveStatic(path.join(packageRoot(), 'demo-site')), freshDatabase('pglite')]);
  });
  afterAll(async () => {
    await Promise.all([site?.close(), database?.drop()]);
  });

  const run = (args: string[]) => runCliInProcess(args, { database });
  const ingest = async (collection: string, ...flags: string[]) => {
    const r = await run(['ingest', site.url, '--collection', collection, '--allow-private-network', '--json', ...flags]);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as { documents: number; skipped: Record<string, number> };
  };
  const sources = async (collection: string) => {
    const r = await run(['search', 'job', '--collection', collection, '-k', '50', '--json']);
    return [...new Set((JSON.parse(r.stdout) as Array<{ url: string }>).map((x) => x.url.slice(site.url.length - 1)))];
  };

  test('--help lists the crawl flags', async () => {
    const r = await run(['ingest', '--help']);
    for (const flag of ['--max-depth', '--scope', '--include', '--exclude', '--user-agent', '--max-requests-per-minute', '--delay', '--ignore-robots']) {
      expect(r.stdout).toContain(flag);
    }
  });

  test('--max-depth 0 ingests the start page only', async () => {
    expect((await ingest('depth0', '--max-depth', '0')).documents).toBe(1);
  });

  test('--exclude and --include are repeatable globs (or re: regexes)', async () => {
    const all = await ingest('all');
    const excluded = await ingest('no-guide', '--exclude', '/guide/*', '--exclude', 're:/faq/');
    expect(excluded.documents).toBeLessThan(all.documents);
    const urls = await sources('no-guide');
    expect(urls.some((u) => u.startsWith('/guide/') || u.startsWith('/faq/'))).toBe(false);
    const only = await ingest('only-guide', '--include', '/guide/*');
    expect((await sources('only-guide')).every((u) => u === '/' || u.startsWith('/guide/'))).toBe(true);
    expect(only.documents).toBeLessThan(all.documents);
  });

  test('--force fetches every page in full and rewrites every chunk, embedding nothing again', async () => {
    type Summary = { documents: number; new: number; changed: number; unchanged: number; chunks: number; embeddedChunks: number; embeddedTokens: number; cachedChunks: number; force?: boolean };
    const chunks = async () =>
      (
        await database.pool.query<{ id: string; text: string; embedding: string }>(
          `SELECT k.id, k.text, k.embedding::text AS embedding FROM chunks k JOIN collections c ON c.id = k.collection_id WHERE c.name = 'forced' ORDER BY k.document_id, k.ordinal`,
        )
      ).rows;
    const first = (await ingest('forced')) as unknown as Summary;
    // Without --force a re-crawl gets 304s (or equal hashes) and writes nothing.
    expect(await ingest('forced')).toMatchObject({ unchanged: first.documents, changed: 0, new: 0 });
    const before = await chunks();
    // A dry run with --force counts every page as changed, and prices no embedding.
    expect(await ingest('forced', '--force', '--dry-run')).toMatchObject({ changed: first.documents, unchanged: 0, embeddedTokens: 0, dryRun: true, force: true });
    const forced = (await ingest('forced', '--force')) as unknown as Summary;
    // A page answered 304 would count as unchanged: every one was fetched in full, and re-chunked.
    expect(forced).toMatchObject({ documents: first.documents, new: 0, changed: first.documents, unchanged: 0, embeddedChunks: 0, embeddedTokens: 0, force: true });
    expect(forced.cachedChunks).toBe(forced.chunks);
    expect(forced.chunks).toBe(before.length);
    const after = await chunks();
    expect(after.map((c) => [c.text, c.embedding])).toEqual(before.map((c) => [c.text, c.embedding]));
    const oldIds = new Set(before.map((c) => c.id));
    expect(after.filter((c) => oldIds.has(c.id))).toEqual([]);
    const line = await run(['ingest', site.url, '--collection', 'forced', '--allow-private-network', '--force']);
    expect(line.stderr.trim().split('\n').at(-1)).toMatch(/0 new, \d+ changed, 0 unchanged \(--force: all fetched and re-chunked\) · \d+ chunks written \(0 embedded, \d+ reused\)/);
  });

  test('a bad --scope or an invalid re: pattern is a one-line error', async () => {
    const scope = await run(['ingest', site.url, '--scope', 'planet']);
    expect(scope.code).not.toBe(0);
    expect(scope.stderr).toMatch(/--scope.*planet.*(host|choices)/s);
    const pattern = await run(['ingest', site.url, '--allow-private-network', '--exclude', 're:(unclosed']);
    expect(pattern.code).toBe(1);
    expect(pattern.stderr.trim().split('\n').at(-1)).toMatch(/^ragline: --exclude entry `re:\(unclosed` \(string\) is not a valid regular expression/);
  });
});

describe('ragline ingest: what it skipped, in words', () => {
  let dir: string;
  let site: StaticServer;
  let database: Database & { drop(): Promise<void> };
  const page = (title: string, links: string[]) =>
    `<!doctype html><html><head><title>${title}</title></head><body><main><h1>${title}</h1><p>${title} explains one thing about the product at length.</p>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</main></body></html>`;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-skips-'));
    await mkdir(path.join(dir, 'private'));
    await writeFile(path.join(dir, 'index.html'), page('Home', ['/ok.html', '/missing.html', '/gone-too.html', '/private/secret.html']));
    await writeFile(path.join(dir, 'ok.html'), page('Fine page', []));
    await writeFile(path.join(dir, 'private', 'secret.html'), page('Secret', []));
    await writeFile(path.join(dir, 'robots.txt'), 'User-agent: *\nDisallow: /private/\n');
    [site, database] = await Promise.all([serveStatic(dir), freshDatabase('pglite')]);
  });
  afterAll(async () => {
    await Promise.all([site?.close(), database?.drop()]);
    await rm(dir, { recursive: true, force: true });
  });

  test('the summary names the reasons in words; --verbose lists each URL; --json carries the list', async () => {
    const args = ['ingest', site.url, '--collection', 'skips', '--allow-private-network'];
    const plain = await runCliInProcess(args, { database });
    expect(plain.code).toBe(0);
    const summary = plain.stderr.trim().split('\n').at(-1)!;
    expect(summary).toMatch(/· 3 URLs skipped: 2 not found \(404\), 1 disallowed by robots\.txt \(--verbose lists them\)$/);
    expect(summary).not.toMatch(/status \d/);

    const verbose = await runCliInProcess([...args, '--verbose'], { database });
    expect(verbose.code).toBe(0);
    const listed = verbose.stderr.split('\n');
    const header = listed.indexOf('Skipped 3 URLs:');
    expect(header).toBeGreaterThanOrEqual(0);
    expect(listed.slice(header + 1, header + 4).sort()).toEqual([
      `  ${site.url}gone-too.html — not found (404)`,
      `  ${site.url}missing.html — not found (404)`,
      `  ${site.url}private/secret.html — disallowed by robots.txt`,
    ]);
    expect(listed.at(-2)).toMatch(/· 3 URLs skipped: 2 not found \(404\), 1 disallowed by robots\.txt$/);

    const json = await runCliInProcess([...args, '--json'], { database });
    const parsed = JSON.parse(json.stdout) as { skipped: Record<string, number>; skippedItems: Array<{ url: string; reason: string; status?: number }> };
    expect(parsed.skipped).toEqual({ status: 2, robots: 1 });
    expect(parsed.skippedItems.map(({ url, reason, status }) => ({ url, reason, status })).sort((a, b) => a.url.localeCompare(b.url))).toEqual([
      { url: `${site.url}gone-too.html`, reason: 'status', status: 404 },
      { url: `${site.url}missing.html`, reason: 'status', status: 404 },
      { url: `${site.url}private/secret.html`, reason: 'robots', status: undefined },
    ]);
  });
});
