/**
 * Discovery and politeness of the crawl stage against real HTTP servers on loopback: robots.txt,
 * sitemaps (indexes, nesting, gzip, lastmod, mirrors of production), scope and patterns, depth,
 * canonical links and robots meta tags, retries and Retry-After, crawler traps, hostile responses
 * and SSRF through redirects and DNS rebinding.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { FetchError } from '../src/errors.js';
import { crawl, type CrawlEvent, type CrawlOptions } from '../src/stages/crawl.js';
import { parseSitemap } from '../src/crawl/sitemap.js';
import { compilePattern, stripSessionIds } from '../src/crawl/scope.js';
import { parseRetryAfter } from '../src/net/retry.js';
import type { SourceDocument } from '../src/types.js';

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A loopback server routing on host (when `hosts` are used) and path + query. */
interface Site {
  base: string;
  port: number;
  /** Requests per `host path` (host without port). */
  hits: Map<string, number>;
  /** [time, path] of each request, in arrival order. */
  log: Array<[number, string]>;
  routes: Map<string, Route>;
  close(): Promise<void>;
}

async function startSite(): Promise<Site> {
  const site: Site = { base: '', port: 0, hits: new Map(), log: [], routes: new Map(), close: async () => undefined };
  const server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const key = req.url ?? '/';
    site.hits.set(`${host} ${key}`, (site.hits.get(`${host} ${key}`) ?? 0) + 1);
    site.log.push([Date.now(), key]);
    const route = site.routes.get(`${host} ${key}`) ?? site.routes.get(key);
    if (route) route(req, res);
    else res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.port = (server.address() as AddressInfo).port;
  site.base = `http://127.0.0.1:${site.port}`;
  site.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return site;
}

const page = (body: string, head = ''): Route => (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head>${head}</head><body>${body}</body></html>`);
};
const text = (type: string, body: string | Buffer, headers: Record<string, string> = {}): Route => (_req, res) => {
  res.writeHead(200, { 'content-type': type, ...headers });
  res.end(body);
};
const links = (...paths: string[]) => paths.map((p) => `<a href="${p}">${p}</a>`).join(' ');
const local = { allowPrivateNetwork: true, retryBaseMs: 10 } as const;

async function run(start: string, options: CrawlOptions = {}): Promise<{ docs: SourceDocument[]; events: CrawlEvent[]; stats: ReturnType<typeof crawl>['stats'] }> {
  const events: CrawlEvent[] = [];
  const pages = crawl(start, { ...local, ...options, onEvent: (event) => events.push(event) });
  const docs: SourceDocument[] = [];
  for await (const doc of pages) docs.push(doc);
  return { docs, events, stats: pages.stats };
}
const paths = (docs: SourceDocument[]) => docs.map((doc) => new URL(doc.url).pathname + new URL(doc.url).search);
const skips = (events: CrawlEvent[], reason: string) =>
  events.flatMap((event) => (event.type === 'skip' && event.reason === reason ? [new URL(event.url).pathname + new URL(event.url).search] : []));

describe('robots.txt', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
    site.routes.set('/robots.txt', text('text/plain', 'User-agent: *\nDisallow: /everyone-but-ragline/\n\nUser-agent: ragline\nDisallow: /private/\nAllow: /private/open\nCrawl-delay: 0.3\n\nUser-agent: otherbot\nDisallow: /\n'));
    site.routes.set('/', page(links('/a', '/private/secret', '/private/open', '/everyone-but-ragline/x')));
    site.routes.set('/a', page('A'));
    site.routes.set('/private/secret', page('secret'));
    site.routes.set('/private/open', page('open'));
    site.routes.set('/everyone-but-ragline/x', page('x'));
  });
  afterAll(() => site.close());
  beforeEach(() => {
    site.hits.clear();
    site.log.length = 0;
  });

  test('disallowed pages are skipped and never requested; the group for ragline applies, Allow wins', async () => {
    const { docs, events, stats } = await run(`${site.base}/`);
    expect(paths(docs)).toEqual(['/', '/a', '/private/open', '/everyone-but-ragline/x']);
    expect(skips(events, 'robots')).toEqual(['/private/secret']);
    expect(stats.skipped.robots).toBe(1);
    expect(site.hits.get('127.0.0.1 /private/secret')).toBeUndefined();
    expect(site.hits.get('127.0.0.1 /robots.txt')).toBe(1);
  });

  test('Crawl-delay spaces the requests to the host, whatever the concurrency', async () => {
    await run(`${site.base}/`, { concurrency: 8 });
    const pages = site.log.filter(([, p]) => p !== '/robots.txt' && p !== '/sitemap.xml').map(([t]) => t);
    expect(pages).toHaveLength(4);
    // Start times are spaced 300 ms apart; arrival times carry connection jitter (a new socket
    // for the first page), hence the margin. Without the delay, the four would arrive within ms.
    expect(pages[3]! - pages[0]!).toBeGreaterThanOrEqual(3 * 300 - 150);
  });

  test('the user agent is configurable and its own group applies; a disallowed start URL is an error', async () => {
    const error = await run(`${site.base}/`, { userAgent: 'otherbot/2.0' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ reason: 'robots' });
    expect((error as Error).message).toMatch(/disallows the start URL .* "otherbot\/2.0"/);
  });

  test('robots: false ignores robots.txt entirely (for sites you own)', async () => {
    const { docs } = await run(`${site.base}/`, { robots: false, userAgent: 'otherbot/2.0' });
    expect(docs).toHaveLength(5);
    expect(site.hits.get('127.0.0.1 /robots.txt')).toBeUndefined();
  });

  test('a robots.txt answering 5xx means crawl nothing (RFC 9309); a 404 means crawl everything', async () => {
    const other = await startSite();
    try {
      other.routes.set('/', page(links('/b')));
      other.routes.set('/b', page('B'));
      expect((await run(`${other.base}/`)).docs).toHaveLength(2);
      other.routes.set('/robots.txt', (_req, res) => res.writeHead(500).end());
      const events: CrawlEvent[] = [];
      const pages = crawl(`${other.base}/`, { ...local, retries: 0, onEvent: (e) => events.push(e) });
      const error = await pages.next().catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'robots' });
      expect((error as Error).message).toMatch(/robots\.txt could not be read .*\(RFC 9309\)/);
      expect(events.some((e) => e.type === 'warning' && e.url.endsWith('/robots.txt'))).toBe(true);
      // A robots.txt that fails once is tried again (retries), and then obeyed.
      let calls = 0;
      other.routes.set('/robots.txt', (_req, res) => (++calls === 1 ? res.writeHead(503).end() : res.writeHead(200).end('User-agent: *\nDisallow: /b\n')));
      expect(paths((await run(`${other.base}/`, { retries: 1 })).docs)).toEqual(['/']);
      expect(calls).toBe(2);
    } finally {
      await other.close();
    }
  });
});

describe('sitemaps', () => {
  let site: Site;
  const urlset = (host: string, entries: Array<[string, string?]>) =>
    `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${entries
      .map(([p, lastmod]) => `<url><loc>${host}${p}</loc>${lastmod ? `<lastmod>${lastmod}</lastmod>` : ''}</url>`)
      .join('')}</urlset>`;
  const index = (host: string, maps: string[]) =>
    `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${maps.map((m) => `<sitemap><loc>${host}${m}</loc></sitemap>`).join('')}</sitemapindex>`;

  beforeAll(async () => {
    site = await startSite();
    const base = site.base;
    site.routes.set('/robots.txt', text('text/plain', `User-agent: *\nDisallow: /hidden/\nSitemap: ${base}/maps/index.xml\n`));
    site.routes.set('/', page(links('/linked')));
    site.routes.set('/linked', page('linked'));
    site.routes.set('/maps/index.xml', text('application/xml', index(base, ['/maps/plain.xml', '/maps/zipped.xml.gz', '/maps/nested-index.xml', '/maps/missing.xml'])));
    site.routes.set('/maps/plain.xml', text('application/xml', urlset(base, [['/linked', '2026-01-01'], ['/only-in-sitemap', '2026-02-03T04:05:06Z'], ['/hidden/page']])));
    site.routes.set('/maps/zipped.xml.gz', text('application/gzip', zlib.gzipSync(urlset(base, [['/from-gzip']]))));
    site.routes.set('/maps/nested-index.xml', text('application/xml', index(base, ['/maps/deep.xml', '/maps/index.xml'])));
    // A staging mirror's sitemap names production: its pages are read on the mirror's host.
    site.routes.set('/maps/deep.xml', text('text/xml', urlset('https://www.production.example', [['/from-nested']])));
    // The conventional location, also read.
    site.routes.set('/sitemap.xml', text('application/xml', urlset(base, [['/conventional']])));
    for (const p of ['/only-in-sitemap', '/from-gzip', '/from-nested', '/conventional', '/hidden/page']) site.routes.set(p, page(p));
  });
  afterAll(() => site.close());

  test('pages only sitemaps list are found: robots.txt Sitemap lines, /sitemap.xml, indexes, nesting, gzip', async () => {
    const { docs, events, stats } = await run(`${site.base}/`);
    // Linked pages first (breadth-first), then sitemap pages in the order the sitemaps were read
    // (breadth-first through the indexes: /sitemap.xml is a root, like the robots.txt one).
    expect(paths(docs)).toEqual(['/', '/linked', '/conventional', '/only-in-sitemap', '/from-gzip', '/from-nested']);
    expect(docs.every((doc) => doc.url.startsWith(site.base))).toBe(true);
    expect(site.hits.get('www.production.example /from-nested')).toBeUndefined();
    // Sitemap pages obey robots.txt too; a missing child sitemap is a warning, not a failure.
    expect(skips(events, 'robots')).toEqual(['/hidden/page']);
    expect(events.filter((e) => e.type === 'warning')).toEqual([]); // a 404 sitemap is common and silent
    // Each sitemap is read once, although the nested index lists the root index again.
    expect(site.hits.get('127.0.0.1 /maps/index.xml')).toBe(1);
    expect(stats.sitemapPages).toBe(6);
    for (const [key, count] of site.hits) expect([key, count]).toEqual([key, 1]);
  });

  test('page events carry the sitemap lastmod, for the next incremental crawl', async () => {
    const { events } = await run(`${site.base}/`);
    const lastmods = Object.fromEntries(events.flatMap((e) => (e.type === 'page' ? [[new URL(e.url).pathname, e.sitemapLastmod]] : [])));
    expect(lastmods).toMatchObject({ '/linked': '2026-01-01', '/only-in-sitemap': '2026-02-03T04:05:06Z', '/': undefined });
  });

  test('sitemaps: false reads none', async () => {
    const { docs } = await run(`${site.base}/`, { sitemaps: false });
    expect(paths(docs)).toEqual(['/', '/linked']);
  });

  test('parseSitemap reads namespaced tags, CDATA and entities', () => {
    expect(
      parseSitemap(`<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9"><sm:url><sm:loc><![CDATA[https://x.org/a?b=1&c=2]]></sm:loc></sm:url><sm:url><sm:loc>https://x.org/d?e=1&amp;f=2</sm:loc><sm:lastmod>2025-01-01</sm:lastmod></sm:url></sm:urlset>`),
    ).toEqual({ pages: [{ url: 'https://x.org/a?b=1&c=2' }, { url: 'https://x.org/d?e=1&f=2', lastmod: '2025-01-01' }], sitemaps: [] });
  });
});

describe('scope, patterns and depth', () => {
  let site: Site;
  // Hostnames of one loopback server, resolved by the test (the address guard's resolve hook).
  const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
  beforeAll(async () => {
    site = await startSite();
    const port = site.port;
    site.routes.set('www.docs.test /docs/v2/', page(links('/docs/v2/a', '/docs/v1/old', `http://api.docs.test:${port}/ref`, `http://other.test:${port}/x`, '/docs/v2/blog/post', '/docs/v2/file.pdf')));
    site.routes.set('www.docs.test /docs/v2/a', page(links('/docs/v2/b')));
    site.routes.set('www.docs.test /docs/v2/b', page(links('/docs/v2/c')));
    site.routes.set('www.docs.test /docs/v2/c', page('deepest'));
    site.routes.set('www.docs.test /docs/v1/old', page('old'));
    site.routes.set('www.docs.test /docs/v2/blog/post', page('post'));
    site.routes.set('api.docs.test /ref', page('ref'));
    site.routes.set('other.test /x', page('x'));
  });
  afterAll(() => site.close());
  const start = () => `http://www.docs.test:${site.port}/docs/v2/`;
  const hosts = (docs: SourceDocument[]) => docs.map((doc) => `${new URL(doc.url).hostname}${new URL(doc.url).pathname}`);

  test('host (default): the start host only', async () => {
    const { docs } = await run(start(), { resolve, sitemaps: false });
    expect(hosts(docs).sort()).toEqual(['www.docs.test/docs/v1/old', 'www.docs.test/docs/v2/', 'www.docs.test/docs/v2/a', 'www.docs.test/docs/v2/b', 'www.docs.test/docs/v2/blog/post', 'www.docs.test/docs/v2/c']);
  });

  test('domain: subdomains of the start host (www. ignored), not other domains', async () => {
    const { docs } = await run(start(), { resolve, sitemaps: false, scope: 'domain' });
    expect(hosts(docs)).toContain('api.docs.test/ref');
    expect(hosts(docs)).not.toContain('other.test/x');
  });

  test('prefix: under the start URL folder only', async () => {
    const { docs } = await run(start(), { resolve, sitemaps: false, scope: 'prefix' });
    expect(hosts(docs)).not.toContain('www.docs.test/docs/v1/old');
    expect(hosts(docs)).toContain('www.docs.test/docs/v2/c');
  });

  test('include and exclude: globs on path and query, re: regexes on the whole URL', async () => {
    const excluded = await run(start(), { resolve, sitemaps: false, exclude: ['*/blog/*', 're:/v1/'] });
    expect(hosts(excluded.docs)).not.toContain('www.docs.test/docs/v2/blog/post');
    expect(hosts(excluded.docs)).not.toContain('www.docs.test/docs/v1/old');
    const included = await run(start(), { resolve, sitemaps: false, include: ['/docs/v2/a', /\/docs\/v2\/b$/] });
    expect(hosts(included.docs)).toEqual(['www.docs.test/docs/v2/', 'www.docs.test/docs/v2/a', 'www.docs.test/docs/v2/b']);
  });

  test('maxDepth bounds the link distance from the start URL', async () => {
    const { docs } = await run(start(), { resolve, sitemaps: false, maxDepth: 1 });
    expect(docs.map((doc) => doc.depth)).not.toContain(2);
    expect(hosts(docs)).toContain('www.docs.test/docs/v2/a');
    expect(hosts(docs)).not.toContain('www.docs.test/docs/v2/b');
    expect((await run(start(), { resolve, sitemaps: false, maxDepth: 0 })).docs).toHaveLength(1);
  });

  test('compilePattern: glob and regex forms', () => {
    const url = new URL('https://x.org/blog/2024/post?id=3');
    expect(compilePattern('/blog/*')(url)).toBe(true);
    expect(compilePattern('https://x.org/blog/*')(url)).toBe(true);
    expect(compilePattern('/news/*')(url)).toBe(false);
    expect(compilePattern('re:/20\\d\\d/')(url)).toBe(true);
    expect(compilePattern('re:^https://y\\.org/')(url)).toBe(false);
    expect(() => compilePattern('re:(unclosed')).toThrow(/not a valid regular expression/);
  });
});

describe('canonical links and robots meta tags', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
    site.routes.set('/', page(links('/article', '/print/article', '/alias', '/noindex', '/nofollow', '/header-noindex', '/mirror')));
    site.routes.set('/article', page('article', '<link rel="canonical" href="/article">'));
    site.routes.set('/print/article', page('print version', '<link rel="canonical" href="/article">'));
    site.routes.set('/alias', page('alias', '<link rel="canonical" href="/canonical-name">'));
    site.routes.set('/noindex', page(links('/behind-noindex'), '<meta name="robots" content="noindex, follow">'));
    site.routes.set('/behind-noindex', page('reached'));
    site.routes.set('/nofollow', page(links('/behind-nofollow'), '<meta name="ragline" content="nofollow">'));
    site.routes.set('/behind-nofollow', page('never'));
    site.routes.set('/header-noindex', text('text/html', '<p>header</p>', { 'x-robots-tag': 'noindex' }));
    site.routes.set('/mirror', page('mirror', '<link rel="canonical" href="https://www.production.example/mirror">'));
    site.routes.set('/canonical-name', page('canonical'));
  });
  afterAll(() => site.close());

  test('a canonical URL in scope names the page; a page whose canonical was crawled is a duplicate', async () => {
    const { docs, events } = await run(`${site.base}/`);
    const urls = paths(docs);
    expect(urls).toContain('/article');
    expect(urls).not.toContain('/print/article');
    expect(skips(events, 'duplicate')).toEqual(['/print/article']);
    // /alias is stored under its canonical name, which is then not fetched again.
    expect(urls).toContain('/canonical-name');
    expect(urls).not.toContain('/alias');
    expect(site.hits.get('127.0.0.1 /canonical-name')).toBeUndefined();
    // A canonical of another host (a mirror's) is ignored.
    expect(urls).toContain('/mirror');
  });

  test('noindex pages are not yielded but their links are followed; nofollow pages are yielded, links not followed', async () => {
    const { docs, events } = await run(`${site.base}/`);
    const urls = paths(docs);
    expect(skips(events, 'noindex').sort()).toEqual(['/header-noindex', '/noindex']);
    expect(urls).toContain('/behind-noindex');
    expect(urls).toContain('/nofollow');
    expect(urls).not.toContain('/behind-nofollow');
    expect(site.hits.get('127.0.0.1 /behind-nofollow')).toBeUndefined();
  });
});

describe('politeness and robustness', () => {
  let site: Site;
  let flaky = 0;
  let reset = 0;
  beforeAll(async () => {
    site = await startSite();
    site.routes.set('/', page(links('/flaky', '/reset', '/limited', '/down', '/too-long-wait', '/loop-a', '/huge', '/endless', '/drip', '/latin1', '/sjis', '/bogus-charset')));
    site.routes.set('/flaky', (_req, res) => {
      flaky += 1;
      if (flaky < 3) res.writeHead(502).end();
      else page('third time')(_req, res);
    });
    site.routes.set('/reset', (req, res) => {
      reset += 1;
      if (reset < 2) req.socket.destroy();
      else page('after reset')(req, res);
    });
    let limited = 0;
    site.routes.set('/limited', (req, res) => {
      limited += 1;
      if (limited === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else page('limited')(req, res);
    });
    site.routes.set('/down', (_req, res) => res.writeHead(500).end());
    site.routes.set('/too-long-wait', (_req, res) => res.writeHead(503, { 'retry-after': '86400' }).end());
    site.routes.set('/loop-a', (_req, res) => res.writeHead(302, { location: '/loop-b' }).end());
    site.routes.set('/loop-b', (_req, res) => res.writeHead(302, { location: '/loop-a' }).end());
    site.routes.set('/huge', (_req, res) => {
      // No content-length: the cap must stop the reading.
      res.writeHead(200, { 'content-type': 'text/html' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const write = () => {
        while (res.write(chunk)) if (res.destroyed) return;
        res.once('drain', write);
      };
      write();
    });
    site.routes.set('/endless', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<p>');
    });
    site.routes.set('/drip', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      const timer = setInterval(() => res.write('.'), 50);
      res.once('close', () => clearInterval(timer));
    });
    site.routes.set('/latin1', text('text/html; charset=windows-1252', Buffer.from([...Buffer.from('<p>caf'), 0xe9, ...Buffer.from(' '), 0x80, ...Buffer.from(' '), 0x93, ...Buffer.from('q'), 0x94, ...Buffer.from('</p>')])));
    site.routes.set('/sjis', text('text/html', Buffer.concat([Buffer.from('<meta charset="shift_jis"><p>'), new Uint8Array([0x93, 0xfa, 0x96, 0x7b]), Buffer.from('</p>')])));
    site.routes.set('/bogus-charset', text('text/html; charset=no-such-charset', Buffer.from('<p>naïve</p>')));
  });
  afterAll(() => site.close());

  test('retries 5xx and connection errors with backoff, honours Retry-After, gives up after the retries', async () => {
    const { docs, events, stats } = await run(`${site.base}/`, { timeoutMs: 2500, maxBytes: 1024 * 1024, retries: 2, maxRetryAfterMs: 5000 });
    const urls = paths(docs);
    expect(urls).toEqual(expect.arrayContaining(['/flaky', '/reset', '/limited']));
    expect(site.hits.get('127.0.0.1 /flaky')).toBe(3);
    expect(site.hits.get('127.0.0.1 /reset')).toBe(2);
    // The 429's Retry-After of 1 s was waited out before the second request.
    const limited = site.log.filter(([, p]) => p === '/limited').map(([t]) => t);
    expect(limited).toHaveLength(2);
    expect(limited[1]! - limited[0]!).toBeGreaterThanOrEqual(950);
    // A server that keeps failing is tried 1 + retries times; a Retry-After beyond the limit once.
    expect(site.hits.get('127.0.0.1 /down')).toBe(3);
    expect(site.hits.get('127.0.0.1 /too-long-wait')).toBe(1);
    expect(skips(events, 'status').sort()).toEqual(['/down', '/too-long-wait']);
    // A redirect loop is caught, and not retried.
    expect(skips(events, 'redirects')).toEqual(['/loop-a']);
    expect(site.hits.get('127.0.0.1 /loop-a')).toBe(1);
    expect(site.hits.get('127.0.0.1 /loop-b')).toBe(1);
    // Huge bodies are cut at maxBytes, endless and dripping ones at the timeout.
    expect(skips(events, 'too-large')).toEqual(['/huge']);
    expect(skips(events, 'timeout').sort()).toEqual(['/drip', '/endless']);
    expect(stats.retries).toBeGreaterThanOrEqual(2 + 1 + 1 + 2);
    // Charsets from the header, from <meta>, and UTF-8 for an unknown label.
    const body = (p: string) => docs.find((doc) => new URL(doc.url).pathname === p)?.body ?? '';
    expect(body('/latin1')).toContain('café € “q”');
    expect(body('/sjis')).toContain('日本');
    expect(body('/bogus-charset')).toContain('naïve');
  }, 60_000);

  test('maxRequestsPerMinute spaces requests over the whole crawl', async () => {
    const other = await startSite();
    try {
      other.routes.set('/', page(links('/1', '/2', '/3')));
      for (const p of ['/1', '/2', '/3']) other.routes.set(p, page(p));
      await run(`${other.base}/`, { maxRequestsPerMinute: 200, sitemaps: false, robots: false });
      const times = other.log.map(([t]) => t);
      expect(times).toHaveLength(4);
      // 200 a minute: one every 300 ms (start times; arrivals carry connection jitter).
      expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(3 * 300 - 150);
    } finally {
      await other.close();
    }
  });

  test('parseRetryAfter reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('crawler traps', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
    site.routes.set('/', page(links('/calendar?month=1', '/session?sid=aaa', '/search?q=a', '/a/')));
    for (let month = 1; month < 10_000; month++) site.routes.set(`/calendar?month=${month}`, page(links(`/calendar?month=${month + 1}`)));
    // Every visit links the same page under a fresh session id.
    let session = 0;
    site.routes.set('/session', (req, res) => page(links(`/session?sid=${++session}`, `/session;jsessionid=${session}`))(req, res));
    for (const route of ['/session?sid=aaa']) site.routes.set(route, (req, res) => page(links(`/session?sid=${++session}`))(req, res));
    // Ever-growing query strings: each page links itself with one more parameter.
    site.routes.set('/search?q=a', page(links('/search?q=a&p1=1')));
    for (let n = 1; n < 100; n++) {
      const query = Array.from({ length: n }, (_, i) => `p${i + 1}=1`).join('&');
      site.routes.set(`/search?q=a&${query}`, page(links(`/search?q=a&${query}&p${n + 1}=1`)));
    }
    // Relative links that nest forever: /a/ → /a/a/ → /a/a/a/ ...
    site.routes.set('/a/', page(links('a/')));
    for (let n = 2; n < 50; n++) site.routes.set(`/${'a/'.repeat(n)}`, page(links('a/')));
  });
  afterAll(() => site.close());

  test('an endless calendar is cut where its chain of pages grows past maxShapeChain', async () => {
    const { docs } = await run(`${site.base}/`, { sitemaps: false });
    const calendar = paths(docs).filter((p) => p.startsWith('/calendar'));
    // month=1 is the first of its shape (depth 1); months 2-31 are up to 30 hops further.
    expect(calendar).toHaveLength(31);
  });

  test('endless calendars, session ids, growing query strings and repeating paths are bounded', async () => {
    const { docs, events } = await run(`${site.base}/`, { maxUrlsPerShape: 20, sitemaps: false });
    const calendar = paths(docs).filter((p) => p.startsWith('/calendar'));
    expect(calendar).toHaveLength(20);
    // Session ids are dropped from URLs: the session page is one page, fetched once.
    expect(paths(docs).filter((p) => p.startsWith('/session'))).toEqual(['/session']);
    const search = paths(docs).filter((p) => p.startsWith('/search'));
    expect(search.length).toBeLessThanOrEqual(12);
    expect(paths(docs).filter((p) => p.startsWith('/a/')).length).toBe(3);
    expect(skips(events, 'trap').length).toBe(3);
    expect(docs.length).toBeLessThan(50);
  });

  test('stripSessionIds removes session parameters and ;jsessionid', () => {
    expect(stripSessionIds(new URL('https://x.org/p;jsessionid=ABC?id=1&PHPSESSID=zz')).href).toBe('https://x.org/p?id=1');
  });
});

describe('SSRF', () => {
  let site: Site;
  beforeAll(async () => {
    site = await startSite();
    // Connection: close, so that every request resolves the hostname again (no keep-alive reuse).
    const closing = (route: Route): Route => (req, res) => {
      res.setHeader('connection', 'close');
      route(req, res);
    };
    site.routes.set('/', closing(page(links('/to-metadata', '/a'))));
    site.routes.set('/a', closing(page('a')));
    site.routes.set('/to-metadata', (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    site.routes.set('/start-to-private', (_req, res) => res.writeHead(301, { location: `http://intranet.public.test:${site.port}/` }).end());
  });
  afterAll(() => site.close());
  // docs.public.test stands for a public site: the test lets its loopback address through
  // (allowAddresses), as it would a public one; intranet.public.test resolves to a private address.
  const policy = (resolve: (host: string) => Promise<Array<{ address: string; family: number }>>) => ({
    allowPrivateNetwork: false,
    allowAddresses: ['127.0.0.1'],
    resolve,
  });
  const publicAndPrivate = async (host: string) =>
    host === 'intranet.public.test' ? [{ address: '10.0.0.7', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];

  test('a public-looking start URL that redirects to a private address is refused', async () => {
    const error = await run(`http://docs.public.test:${site.port}/start-to-private`, policy(publicAndPrivate)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ reason: 'private-address' });
    expect((error as Error).message).toContain('10.0.0.7');
  });

  test('redirects to the metadata address are not followed, and a host rebinding to a private address is refused', async () => {
    let lookups = 0;
    // DNS rebinding: the host answers with its public address first, then a private one.
    const rebinding = async () => (++lookups <= 2 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '192.168.1.1', family: 4 }]);
    const { docs, events } = await run(`http://docs.public.test:${site.port}/`, { ...policy(rebinding), concurrency: 1, sitemaps: false, robots: false, retries: 0 });
    expect(paths(docs)).toEqual(['/']);
    // The metadata redirect leaves the site: not followed (and the guard would refuse 169.254.169.254).
    expect(skips(events, 'off-site')).toEqual(['/to-metadata']);
    // /a is on the same host, which now resolves to 192.168.1.1: refused, never connected.
    expect(skips(events, 'private-address')).toEqual(['/a']);
    expect(site.hits.get('docs.public.test /a')).toBeUndefined();
  });

  test('the start URL on a private address is refused without allowPrivateNetwork', async () => {
    await expect(run(`${site.base}/`, { allowPrivateNetwork: false })).rejects.toMatchObject({ reason: 'private-address' });
  });
});

describe('per-host concurrency', () => {
  test('concurrencyPerHost bounds the requests in flight to each host, within concurrency', async () => {
    const active = new Map<string, number>();
    const peak = new Map<string, number>();
    const server = http.createServer((req, res) => {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      const now = (active.get(host) ?? 0) + 1;
      active.set(host, now);
      peak.set(host, Math.max(peak.get(host) ?? 0, now));
      res.once('close', () => active.set(host, (active.get(host) ?? 1) - 1));
      const key = req.url ?? '/';
      if (key === '/') {
        const port = (server.address() as AddressInfo).port;
        const pages = Array.from({ length: 12 }, (_, i) => [`http://a.multi.test:${port}/p${i}`, `http://b.multi.test:${port}/p${i}`]).flat();
        page(links(...pages))(req, res);
      } else if (/^\/p\d+$/.test(key)) setTimeout(() => page(key)(req, res), 60);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
      const { docs } = await run(`http://multi.test:${port}/`, { resolve, scope: 'domain', concurrency: 8, concurrencyPerHost: 2, sitemaps: false, robots: false });
      expect(docs).toHaveLength(25);
      expect(peak.get('a.multi.test')).toBe(2);
      expect(peak.get('b.multi.test')).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
