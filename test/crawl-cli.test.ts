/**
 * The crawl flags of `ragline ingest`, as a user runs them: the built CLI in a child process, the
 * demo site on loopback, the embedded store in a temp folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import { runCli } from './support/cli.js';

describe('ragline ingest crawl flags', () => {
  let site: StaticServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-crawl-cli-'));
    site = await serveStatic(path.join(packageRoot(), 'demo-site'));
  });
  afterAll(async () => {
    await site?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const run = (args: string[]) => runCli(args, { env: { RAGLINE_DATA_DIR: dataDir } });
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
