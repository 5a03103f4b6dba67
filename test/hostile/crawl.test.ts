/**
 * Hostile-but-fair input to the crawler (issue 16), each against real servers on loopback:
 * credentials in a start URL, an oversized robots.txt, numbers past what timers hold, and link
 * fan-out traps.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, FetchError } from '../../src/errors.js';
import { ingest, search } from '../../src/index.js';
import { createLexicalEmbedding } from '../../src/models/local/lexical-embedding.js';
import { crawl, type CrawlEvent } from '../../src/stages/crawl.js';
import { httpGet } from '../../src/net/http-get.js';
import { parseInteger } from '../../src/cli/context.js';
import { runCliInProcess } from '../support/cli.js';
import { freshDatabase } from '../support/databases.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface Server {
  base: string;
  /** Requests received, in order. */
  requests: http.IncomingMessage[];
  close(): Promise<void>;
}

async function serve(handler: Handler): Promise<Server> {
  const requests: http.IncomingMessage[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const html = (res: http.ServerResponse, body: string) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<!doctype html><html><head><title>t</title></head><body><main>${body}</main></body></html>`);
};

/** Answer 404 for robots.txt and sitemap.xml (a site without them); true when it did. */
function missingRobotsOrSitemap(url: URL, res: http.ServerResponse): boolean {
  if (url.pathname !== '/robots.txt' && url.pathname !== '/sitemap.xml') return false;
  res.writeHead(404);
  res.end();
  return true;
}

async function crawlAll(start: string, options: Parameters<typeof crawl>[1] = {}) {
  const events: CrawlEvent[] = [];
  const docs = [];
  const pages = crawl(start, { allowPrivateNetwork: true, retries: 0, ...options, onEvent: (e) => events.push(e) });
  for await (const doc of pages) docs.push(doc);
  return { docs, events, stats: pages.stats };
}

describe('credentials in a start URL (issue 16.1)', () => {
  const secret = 's3cretpw';
  const basic = `Basic ${Buffer.from(`alice:${secret}`).toString('base64')}`;
  let other: Server;
  let site: Server;

  beforeAll(async () => {
    // Another origin (same host, another port: in a `domain` scope) that must never see them.
    other = await serve((req, res) => html(res, '<p>The other origin page about otters.</p>'));
    site = await serve((req, res) => {
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="x"', 'content-type': 'text/plain' });
        res.end('who are you?');
        return;
      }
      if (req.url === '/robots.txt' || req.url === '/sitemap.xml') {
        res.writeHead(404);
        res.end();
      } else if (req.url === '/') {
        html(res, `<p>The private start page about badgers and their setts.</p><a href="/inner">inner</a><a href="${other.base}/elsewhere">elsewhere</a>`);
      } else {
        html(res, '<p>The private inner page about weasels and stoats.</p>');
      }
    });
  });
  afterAll(async () => {
    await site.close();
    await other.close();
  });

  const withCredentials = (base: string, password = secret) => base.replace('http://', `http://alice:${password}@`);

  test('are sent as Basic auth to their origin only, and appear in no URL, event or statistic', async () => {
    const { docs, events, stats } = await crawlAll(`${withCredentials(site.base)}/`, { scope: 'domain' });
    expect(docs.map((d) => d.url).sort()).toEqual([`${other.base}/elsewhere`, `${site.base}/`, `${site.base}/inner`].sort());
    expect(site.requests.every((req) => req.headers.authorization === basic)).toBe(true);
    expect(other.requests.length).toBeGreaterThan(0);
    expect(other.requests.some((req) => req.headers.authorization !== undefined)).toBe(false);
    const printed = JSON.stringify({ docs: docs.map(({ body: _body, ...rest }) => rest), events, stats });
    expect(printed).not.toContain(secret);
    expect(printed).not.toContain('alice');
  });

  test('with an authorization header too are refused as ambiguous, without repeating them', () => {
    const start = `${withCredentials(site.base)}/`;
    expect(() => crawl(start, { headers: { Authorization: 'Bearer t0ken' } })).toThrow(ConfigError);
    expect(() => crawl(start, { headers: { Authorization: 'Bearer t0ken' } })).not.toThrow(new RegExp(`${secret}|t0ken`));
  });

  test('in a link or a redirect are neither followed nor kept', async () => {
    const hop = await serve((req, res) => {
      if (req.url === '/') html(res, `<p>Hop start.</p><a href="${withCredentials(hop.base, 'l1nkpw')}/linked">linked</a><a href="/moved">moved</a>`);
      else if (req.url === '/moved') {
        res.writeHead(302, { location: `${withCredentials(hop.base, 'h0ppw')}/target` });
        res.end();
      } else if (req.url === '/robots.txt' || req.url === '/sitemap.xml') {
        res.writeHead(404);
        res.end();
      } else html(res, `<p>Page ${req.url}.</p>`);
    });
    try {
      const { docs, events } = await crawlAll(`${hop.base}/`);
      expect(docs.map((d) => d.url).sort()).toEqual([`${hop.base}/`, `${hop.base}/linked`, `${hop.base}/target`]);
      expect(JSON.stringify({ docs: docs.map(({ body: _body, ...rest }) => rest), events })).not.toMatch(/l1nkpw|h0ppw/);
      expect(hop.requests.find((req) => req.url === '/linked')?.headers.authorization).toBeUndefined();
    } finally {
      await hop.close();
    }
  });

  test('a wrong password fails with a message that does not repeat it', async () => {
    const error = await crawlAll(`${withCredentials(site.base, 'wr0ngpw')}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as Error).message).toContain('401');
    expect((error as Error).message).not.toContain('wr0ngpw');
  });

  test('are stored nowhere by ingest: not in the summary, search results or any table', async () => {
    const db = await freshDatabase('pglite');
    try {
      const embedding = createLexicalEmbedding();
      const summary = await ingest({ db, source: `${withCredentials(site.base)}/`, collection: 'private', embedding, crawl: { allowPrivateNetwork: true, retries: 0 } });
      expect(summary.documents).toBe(2);
      expect(JSON.stringify(summary)).not.toContain(secret);
      const results = await search({ db, collection: 'private', query: 'badgers weasels', embedding, k: 5 });
      expect(results.length).toBeGreaterThan(0);
      expect(JSON.stringify(results)).not.toContain(secret);
      const tables = await db.pool.query<{ tablename: string }>(`select tablename from pg_tables where schemaname = 'public'`);
      for (const { tablename } of tables.rows) {
        const rows = await db.pool.query<{ row: string }>(`select t::text as row from "${tablename}" t`);
        expect({ tablename, leaked: rows.rows.filter((r) => r.row.includes(secret)).length }).toEqual({ tablename, leaked: 0 });
      }
    } finally {
      await db.drop();
    }
  });
});

describe('an oversized robots.txt (issue 16.7)', () => {
  const padding = `# ${'x'.repeat(1022)}\n`; // 1 KiB of comment
  const robotsOf = (rules: string, kib: number) => rules + padding.repeat(kib);

  async function siteWithRobots(robots: string, declareLength: boolean): Promise<Server> {
    return serve((req, res) => {
      if (req.url === '/robots.txt') {
        res.writeHead(200, { 'content-type': 'text/plain', ...(declareLength ? { 'content-length': Buffer.byteLength(robots) } : {}) });
        res.end(robots);
      } else if (req.url === '/') html(res, '<p>Start.</p><a href="/private/a">a</a><a href="/public">b</a>');
      else if (req.url === '/sitemap.xml') {
        res.writeHead(404);
        res.end();
      } else html(res, `<p>Page ${req.url}.</p>`);
    });
  }

  test.each([true, false])('of 20 MB starting with "Disallow: /" is obeyed (content-length declared: %s)', async (declareLength) => {
    const site = await siteWithRobots(robotsOf('User-agent: *\nDisallow: /\n', 20 * 1024), declareLength);
    try {
      const error = await crawlAll(`${site.base}/`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FetchError);
      expect((error as FetchError).reason).toBe('robots');
      expect(site.requests.map((r) => r.url)).toEqual(['/robots.txt']);
    } finally {
      await site.close();
    }
  });

  test('is read to 512 KiB: rules before the bound hold, a rule cut at it is dropped', async () => {
    // The rules in the first 512 KiB apply; a rule cut at the bound (`Disallow: /publicity` cut
    // to `Disallow: /pub`) is dropped, not obeyed as a wider rule.
    const head = `User-agent: *\nDisallow: /private/\n${padding.repeat(500)}`;
    const filler = `#${'-'.repeat(512 * 1024 - head.length - 'Disallow: /pub'.length - 2)}\n`;
    const robots = `${head}${filler}Disallow: /publicity\n${padding.repeat(20 * 1024)}`;
    const site = await siteWithRobots(robots, true);
    try {
      const { docs, stats } = await crawlAll(`${site.base}/`);
      expect(docs.map((d) => d.url).sort()).toEqual([`${site.base}/`, `${site.base}/public`]);
      expect(stats.skipped.robots).toBe(1);
    } finally {
      await site.close();
    }
  });
});

describe('numbers past what timers hold (issue 16.11)', () => {
  const tooLong = 2 ** 31;

  test.each(['delayMs', 'retryBaseMs', 'maxRetryAfterMs'] as const)('crawl refuses %s of 2^31 ms', (option) => {
    expect(() => crawl('http://127.0.0.1:1/', { [option]: tooLong })).toThrow(ConfigError);
    expect(() => crawl('http://127.0.0.1:1/', { [option]: tooLong })).toThrow(new RegExp(`\`${option}\`.*2147483647`));
  });

  test('crawl and httpGet refuse timeoutMs of 2^31 ms', async () => {
    expect(() => crawl('http://127.0.0.1:1/', { timeoutMs: tooLong })).toThrow(/`timeoutMs`.*2147483647/);
    await expect(httpGet('http://127.0.0.1:1/', { timeoutMs: tooLong })).rejects.toThrow(ConfigError);
  });

  test('crawl accepts the longest timer, 2^31 - 1 ms', () => {
    expect(() => crawl('http://127.0.0.1:1/', { delayMs: tooLong - 1, timeoutMs: tooLong - 1 })).not.toThrow();
  });

  test.each([
    ['maxPages', '0x10'],
    ['concurrency', '1e9'],
    ['maxPages', '1.5'],
    ['maxPages', '16abc'],
    ['concurrency', '99999999999999999999'],
  ])('the CLI refuses %s written %s', (option, written) => {
    expect(() => parseInteger(option)(written)).toThrow(ConfigError);
  });

  test('the CLI reads plain decimal integers', () => {
    expect(parseInteger('maxPages')('16')).toBe(16);
    expect(parseInteger('maxPages')(' 16 ')).toBe(16);
    expect(parseInteger('delay', 0)('0')).toBe(0);
  });

  test.each([
    ['--delay', String(2 ** 31)],
    ['--timeout', String(2 ** 31)],
    ['--concurrency', '1e9'],
    ['--max-pages', '0x10'],
  ])('`ragline ingest %s %s` fails with one line naming the flag', async (flag, value) => {
    const run = await runCliInProcess(['ingest', 'http://127.0.0.1:1/', flag, value, '--provider', 'local'], { env: { RAGLINE_DATA_DIR: 'memory://' } });
    expect(run.code).not.toBe(0);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('ragline:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(flag);
  });
});

describe('link fan-out traps (issue 16.13)', () => {
  test.each([false, true])('pages of one path that differ only in random query strings and links are skipped as traps (echoing the query: %s)', async (echo) => {
    let n = 0;
    const site = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (missingRobotsOrSitemap(url, res)) return;
      const links = [1, 2, 3].map(() => `<a href="/list?q=${(n++).toString(36)}${Math.random().toString(36).slice(2)}">more</a>`);
      const docs = url.pathname === '/' ? '<a href="/doc/1">d1</a><a href="/doc/2">d2</a>' : '';
      // The same listing whatever the query (which it may echo): only the links differ.
      const query = url.searchParams.get('q');
      html(res, `<p>A listing of nothing in particular${echo && query ? ` for ${query}` : ''}.</p>${links.join('')}${docs}`);
    });
    try {
      const { docs, stats } = await crawlAll(`${site.base}/`, { maxPages: 200, concurrency: 4 });
      const urls = docs.map((d) => d.url);
      expect(urls).toEqual(expect.arrayContaining([`${site.base}/doc/1`, `${site.base}/doc/2`]));
      expect(stats.skipped.trap).toBeGreaterThan(0);
      // The trap gets a few pages of the budget (3 kept, the rest fetched before the path was
      // known and then dropped), and the crawl ends on its own.
      expect(urls.filter((u) => u.includes('/list?'))).toHaveLength(3);
      expect(stats.fetched).toBeLessThan(40);
      expect(stats.complete).toBe(true);
    } finally {
      await site.close();
    }
  });

  test('a real site with many distinct query strings per path under the bound is crawled whole', async () => {
    const site = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (missingRobotsOrSitemap(url, res)) return;
      const links = url.pathname === '/' ? Array.from({ length: 50 }, (_, i) => `<a href="/item?id=${i}">item ${i}</a>`).join('') : '';
      html(res, `<p>Page ${req.url}.</p>${links}`);
    });
    try {
      const { docs, stats } = await crawlAll(`${site.base}/`, { maxPages: 200 });
      expect(docs).toHaveLength(51);
      expect(stats.skipped.trap).toBe(0);
    } finally {
      await site.close();
    }
  });
});
