/**
 * The crawl flags of `ragline ingest`, as a user runs them: the CLI in this process, the demo
 * site on loopback, one embedded store (in memory) for all the commands.
 */
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

  test('a bad --scope or an invalid re: pattern is a one-line error', async () => {
    const scope = await run(['ingest', site.url, '--scope', 'planet']);
    expect(scope.code).not.toBe(0);
    expect(scope.stderr).toMatch(/--scope.*planet.*(host|choices)/s);
    const pattern = await run(['ingest', site.url, '--allow-private-network', '--exclude', 're:(unclosed']);
    expect(pattern.code).toBe(1);
    expect(pattern.stderr.trim().split('\n').at(-1)).toMatch(/^ragline: --exclude entry `re:\(unclosed` \(string\) is not a valid regular expression/);
  });
});
