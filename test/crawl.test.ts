import { existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { ConfigError, FetchError } from '../src/errors.js';
import { crawl, extractLinks, normalizeUrl, type CrawlEvent, type CrawlStats } from '../src/stages/crawl.js';
import type { SourceDocument } from '../src/types.js';
import { corpusPath } from './support/corpora.js';

/** A route answers a request; `undefined` means 404. */
type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/** A real HTTP server on 127.0.0.1 that counts requests per path and concurrent requests. */
interface TestSite {
  base: string;
  port: number;
  /** Requests per raw request path (path + query). */
  hits: Map<string, number>;
  /** Page requests received (robots.txt and /sitemap.xml not counted). */
  requests: number;
  /** Highest number of requests being handled at the same time. */
  maxActive: number;
  routes: Map<string, Route>;
  close(): Promise<void>;
}

async function startSite(): Promise<TestSite> {
  let active = 0;
  const site: TestSite = {
    base: '',
    port: 0,
    hits: new Map(),
    requests: 0,
    maxActive: 0,
    routes: new Map(),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = http.createServer(async (req, res) => {
    const key = req.url ?? '/';
    site.hits.set(key, (site.hits.get(key) ?? 0) + 1);
    // Discovery (robots.txt, /sitemap.xml) happens once per crawl, outside the page budget.
    if (key !== '/robots.txt' && key !== '/sitemap.xml') {
      site.requests += 1;
      active += 1;
      site.maxActive = Math.max(site.maxActive, active);
      res.once('close', () => (active -= 1));
    }
    const route = site.routes.get(key);
    if (route) {
      await route(req, res);
    } else {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Not found</h1><a href="/from-404-page">never followed</a>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.port = (server.address() as AddressInfo).port;
  site.base = `http://127.0.0.1:${site.port}`;
  return site;
}

const html = (body: string, head = ''): Route => (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html><head>${head}</head><body>${body}</body></html>`);
};
const typed = (type: string, body: string | Buffer): Route => (_req, res) => {
  res.writeHead(200, { 'content-type': type });
  res.end(body);
};
const redirect = (location: string, status = 302): Route => (_req, res) => {
  res.writeHead(status, { location });
  res.end();
};
const delayed = (ms: number, route: Route): Route => (req, res) => {
  const timer = setTimeout(() => void route(req, res), ms);
  res.once('close', () => clearTimeout(timer));
};

const local = { allowPrivateNetwork: true } as const;

/** Collect every document of a crawl. */
async function collect(pages: AsyncIterable<SourceDocument>): Promise<SourceDocument[]> {
  const docs: SourceDocument[] = [];
  for await (const doc of pages) docs.push(doc);
  return docs;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('normalizeUrl', () => {
  test.each([
    ['HTTP://Example.COM:80/a#frag', 'http://example.com/a'],
    ['https://example.com:443/', 'https://example.com/'],
    ['http://example.com:8080/', 'http://example.com:8080/'],
    ['http://example.com/dir/index.html', 'http://example.com/dir/'],
    ['http://example.com/dir/index.htm', 'http://example.com/dir/'],
    ['http://example.com/index.html?x=1#y', 'http://example.com/?x=1'],
    ['http://example.com/dir/index.html.bak', 'http://example.com/dir/index.html.bak'],
    ['http://example.com/dir', 'http://example.com/dir'],
    ['http://example.com/a//b///c', 'http://example.com/a/b/c'],
    ['http://example.com/a/./b/../c', 'http://example.com/a/c'],
    ['http://example.com/%7euser/%2fx%3a', 'http://example.com/~user/%2Fx%3A'],
    ['http://example.com/caf%C3%A9', 'http://example.com/caf%C3%A9'],
    ['http://example.com/café', 'http://example.com/caf%C3%A9'],
    ['http://example.com/p?b=2&a=1', 'http://example.com/p?b=2&a=1'],
    ['http://example.com/p?q=%7e%2f', 'http://example.com/p?q=~%2F'],
    ['http://example.com/p?', 'http://example.com/p'],
    ['http://bücher.example/', 'http://xn--bcher-kva.example/'],
    ['file:///srv/docs/index.html#x', 'file:///srv/docs/index.html'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeUrl(input)).toBe(expected);
  });

  test('rejects a relative URL with a ConfigError', () => {
    expect(() => normalizeUrl('/relative')).toThrow(ConfigError);
  });
});

describe('extractLinks', () => {
  test('resolves against <base href>, decodes entities, ignores non-http schemes and fragments', () => {
    const links = extractLinks(
      `<base href="/docs/v2/"><base href="/ignored/">
       <a href="page.html#part">a</a><A HREF="../up?x=1&amp;y=2">b</A><area href="map.html">
       <a href="mailto:a@b.c">m</a><a href="javascript:alert(1)">j</a><a href="tel:1">t</a>
       <a href="data:text/html,hi">d</a><a>no href</a><a href="http://[bad">bad</a>`,
      'https://example.com/start/here.html',
    );
    expect(links.map((link) => link.href)).toEqual([
      'https://example.com/docs/v2/page.html',
      'https://example.com/docs/up?x=1&y=2',
      'https://example.com/docs/v2/map.html',
    ]);
  });
});

describe('crawl of a small site', () => {
  let site: TestSite;
  let docs: SourceDocument[];
  let events: CrawlEvent[];
  let stats: CrawlStats;
  let returned: CrawlStats | undefined;

  beforeAll(async () => {
    site = await startSite();
    const { routes, base } = site;
    routes.set(
      '/',
      html(`
        <a href="/about.html">About</a>
        <a href="dir/">Dir</a>
        <a href="dir/index.html">Dir again</a>
        <a href="/dir/index.html#section">Dir with a fragment</a>
        <a href="#top">Top</a>
        <a href="/about.html#team">About, team</a>
        <a href="${base}/about.html">About, absolute</a>
        <a href="mailto:team@example.com">Mail</a>
        <a href="javascript:void(0)">Script</a>
        <a href="tel:+123">Phone</a>
        <a href="ftp://127.0.0.1/file">FTP</a>
        <a href="http://offsite.example/page.html">Off-site</a>
        <a href="//offsite.example/other.html">Off-site, protocol-relative</a>
        <a href="http://127.0.0.1:1/other-port.html">Same IP, other port</a>
        <a href="/docs/intro.md">Markdown</a>
        <a href="/notes.txt">Notes</a>
        <a href="/image.png">Image</a>
        <a href="/data.json">Data</a>
        <a href="/missing">Missing</a>
        <a href="/old">Old address of /moved</a>
        <a href="/query?b=2&amp;a=1">Query</a>
        <a href="/query?b=2&a=1#frag">Query again</a>
        <a href="/%7Euser/">Tilde, encoded</a>
        <a href="/~user/">Tilde</a>
        <a href="/a//b.html">Double slash</a>
        <a href="/a/b.html">Single slash</a>
        <a href="/off-redirect">Redirects off-site</a>
        <a href="/moved">Moved</a>
        <a href="/fresh-redirect">Redirects to an unlinked page</a>
        <a href="/slow">Never answers</a>`),
    );
    routes.set('/index.html', routes.get('/')!);
    routes.set('/about.html', html('<a href="/">Home</a><a href="/index.html">Home again</a>'));
    // Without <base>, "page.html" would be /dir/page.html (a 404 here).
    const dir = html('<a href="page.html">Based page</a><a href="/">Home</a>', '<base href="/based/">');
    routes.set('/dir/', dir);
    routes.set('/dir/index.html', dir);
    routes.set('/based/page.html', html('<a href="../about.html">About</a>'));
    routes.set(
      '/docs/intro.md',
      typed('text/markdown; charset=utf-8', '# Intro\n\n[next](/from-markdown.html) <a href="/from-markdown-2.html">x</a>\n'),
    );
    routes.set('/notes.txt', typed('text/plain', 'See <a href="/from-text.html">this</a>.'));
    routes.set('/image.png', typed('image/png', Buffer.alloc(2 * 1024 * 1024)));
    routes.set('/data.json', typed('application/json', '{"a":1}'));
    routes.set('/old', redirect('/moved', 301));
    routes.set('/moved', html('<p>Moved here</p>'));
    routes.set('/fresh-redirect', redirect('/landing'));
    routes.set('/landing', html('<p>Landing</p>'));
    routes.set('/off-redirect', redirect('http://offsite.example/elsewhere'));
    routes.set('/query?b=2&a=1', html('<p>Query page</p>'));
    routes.set('/%7Euser/', html('<p>User</p>'));
    routes.set('/~user/', html('<p>User</p>'));
    routes.set('/a//b.html', html('<p>B</p>'));
    routes.set('/a/b.html', html('<p>B</p>'));
    routes.set('/slow', () => {
      // Never answers.
    });

    events = [];
    // retries: 0, so that the page that never answers is requested once (retries are tested in crawl-politeness).
    const pages = crawl(`${base}/`, { ...local, timeoutMs: 1000, retries: 0, onEvent: (event) => events.push(event) });
    docs = [];
    for (;;) {
      const result = await pages.next();
      if (result.done) {
        returned = result.value;
        break;
      }
      docs.push(result.value);
    }
    stats = pages.stats;
  });

  afterAll(() => site.close());

  test('visits every reachable page exactly once, in breadth-first order', () => {
    const { base } = site;
    expect(docs.map((doc) => doc.url)).toEqual([
      `${base}/`,
      `${base}/about.html`,
      `${base}/dir/`,
      `${base}/docs/intro.md`,
      `${base}/notes.txt`,
      `${base}/query?b=2&a=1`,
      `${base}/~user/`,
      `${base}/a/b.html`,
      `${base}/moved`,
      `${base}/landing`,
      `${base}/based/page.html`,
    ]);
    for (const [requestPath, count] of site.hits) {
      expect([requestPath, count]).toEqual([requestPath, 1]);
    }
  });

  test('treats dir/ and dir/index.html as one page, and ignores fragments', () => {
    expect((site.hits.get('/dir/') ?? 0) + (site.hits.get('/dir/index.html') ?? 0)).toBe(1);
    expect(site.hits.get('/index.html')).toBeUndefined();
    expect(site.hits.get('/about.html')).toBe(1);
    expect((site.hits.get('/%7Euser/') ?? 0) + (site.hits.get('/~user/') ?? 0)).toBe(1);
    expect((site.hits.get('/a//b.html') ?? 0) + (site.hits.get('/a/b.html') ?? 0)).toBe(1);
  });

  test('resolves links against <base href>', () => {
    expect(site.hits.get('/based/page.html')).toBe(1);
    expect(site.hits.get('/dir/page.html')).toBeUndefined();
    expect(docs.find((doc) => doc.url.endsWith('/based/page.html'))?.depth).toBe(2);
  });

  test('does not parse links out of Markdown, text or error pages', () => {
    for (const page of ['/from-markdown.html', '/from-markdown-2.html', '/from-text.html', '/from-404-page']) {
      expect(site.hits.get(page)).toBeUndefined();
    }
  });

  test('yields documents with their type, body, status and depth', () => {
    const markdown = docs.find((doc) => doc.url.endsWith('/docs/intro.md'));
    expect(markdown).toMatchObject({ contentType: 'text/markdown', status: 200, depth: 1 });
    expect(markdown?.body).toContain('# Intro');
    expect(docs.find((doc) => doc.url.endsWith('/notes.txt'))?.contentType).toBe('text/plain');
    expect(docs[0]).toMatchObject({ contentType: 'text/html', depth: 0 });
    expect(docs[0]?.fetchedAt).toBeInstanceOf(Date);
  });

  test('ignores off-host links and does not follow off-site redirects', () => {
    // Off-host links are not candidates at all: no event names them, nothing was requested.
    const named = events.flatMap((event) => ('url' in event ? [event.url] : event.pages.map((page) => page.url)));
    expect(named.filter((url) => url.includes('offsite.example') || url.includes(':1/'))).toEqual([]);
    const offsiteSkip = events.find((event) => event.type === 'skip' && event.reason === 'off-site');
    expect(offsiteSkip).toMatchObject({ url: `${site.base}/off-redirect` });
  });

  test('counts skipped pages by reason and reports each through onEvent', () => {
    expect(stats.pages).toBe(11);
    expect(stats.skipped).toEqual({
      status: 1,
      'content-type': 2,
      duplicate: 1,
      robots: 0,
      noindex: 0,
      trap: 0,
      'off-site': 1,
      'private-address': 0,
      scheme: 0,
      timeout: 1,
      'too-large': 0,
      redirects: 0,
      network: 0,
    });
    expect(stats.fetched).toBe(11 + 6);
    expect(returned).toEqual(stats);
    const skips = events.filter((event) => event.type === 'skip');
    expect(skips.map((event) => [event.url.slice(site.base.length), event.reason])).toEqual([
      ['/image.png', 'content-type'],
      ['/data.json', 'content-type'],
      ['/missing', 'status'],
      ['/old', 'duplicate'],
      ['/off-redirect', 'off-site'],
      ['/slow', 'timeout'],
    ]);
    expect(skips.find((event) => event.reason === 'status')).toMatchObject({ status: 404 });
    expect(skips.find((event) => event.reason === 'timeout')?.error).toBeInstanceOf(FetchError);
    expect(events.filter((event) => event.type === 'page')).toHaveLength(11);
  });
});

describe('crawl: start URL', () => {
  let site: TestSite;
  beforeAll(async () => {
    site = await startSite();
    site.routes.set('/', html('<a href="/page">Page</a>'));
    site.routes.set('/page', html('<p>Page</p>'));
    site.routes.set('/jump', redirect(`http://127.0.0.1:${site.port}/`));
  });
  afterAll(() => site.close());

  test('refuses loopback without allowPrivateNetwork, with one line saying what to do', async () => {
    const before = site.requests;
    const error = await collect(crawl(`${site.base}/`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ reason: 'private-address', url: `${site.base}/` });
    expect((error as Error).message).toBe(
      `Refusing to fetch ${site.base}/: 127.0.0.1 is a private or loopback address. ` +
        'Pass `allowPrivateNetwork: true` to crawl local or intranet sites.',
    );
    expect(site.requests).toBe(before);
  });

  test('crawls loopback with allowPrivateNetwork', async () => {
    const docs = await collect(crawl(`${site.base}/`, local));
    expect(docs.map((doc) => doc.url)).toEqual([`${site.base}/`, `${site.base}/page`]);
  });

  test('refuses other schemes when called', () => {
    expect(() => crawl('ftp://example.com/')).toThrow(FetchError);
    expect(() => crawl('file:///srv/docs/')).toThrow(/only http: and https: URLs can be crawled .*pass a folder or file path/);
  });

  test('rejects a URL without a scheme and bad options with ConfigError', () => {
    expect(() => crawl('example.com')).toThrow(ConfigError);
    expect(() => crawl(`${site.base}/`, { maxPages: 0 })).toThrow('Expected `maxPages` to be an integer from 1 and up, got `0` (number).');
    expect(() => crawl(`${site.base}/`, { concurrency: 2.5 })).toThrow(ConfigError);
  });

  test('a start page that answers 404 fails the crawl', async () => {
    const error = await collect(crawl(`${site.base}/nowhere`, local)).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'status', status: 404 });
    expect((error as Error).message).toMatch(/answered HTTP 404/);
  });

  test('a start URL redirecting to another host brings that host into scope', async () => {
    // localhost and 127.0.0.1 are different hosts; the links on "/" point to 127.0.0.1.
    const docs = await collect(crawl(`http://localhost:${site.port}/jump`, local));
    expect(docs.map((doc) => doc.url)).toEqual([`${site.base}/`, `${site.base}/page`]);
  });

  test('an aborted signal stops the crawl with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(collect(crawl(`${site.base}/`, { ...local, signal: controller.signal }))).rejects.toBe(reason);
  });
});

describe('crawl: limits and backpressure', () => {
  let site: TestSite;
  const PAGES = 40;
  beforeAll(async () => {
    site = await startSite();
    const links = Array.from({ length: PAGES }, (_, i) => `<a href="/p/${i + 1}">${i + 1}</a>`).join('');
    site.routes.set('/', html(links));
    for (let i = 1; i <= PAGES; i++) {
      site.routes.set(`/p/${i}`, delayed(25, html(`<a href="/">Home</a><a href="/p/${(i % PAGES) + 1}">Next</a>`)));
    }
  });
  afterAll(() => site.close());
  beforeEach(() => {
    site.hits.clear();
    site.requests = 0;
    site.maxActive = 0;
  });

  test.each([3, 8])('never has more than concurrency (%i) requests in flight, and uses them', async (concurrency) => {
    const docs = await collect(crawl(`${site.base}/`, { ...local, concurrency }));
    expect(docs).toHaveLength(PAGES + 1);
    expect(site.maxActive).toBe(concurrency);
  });

  test('the default concurrency is 8', async () => {
    await collect(crawl(`${site.base}/`, local));
    expect(site.maxActive).toBe(8);
  });

  test('maxPages bounds the documents and the requests', async () => {
    const pages = crawl(`${site.base}/`, { ...local, maxPages: 5 });
    const docs = await collect(pages);
    expect(docs).toHaveLength(5);
    expect(pages.stats.pages).toBe(5);
    expect(site.requests).toBe(5);
  });

  test('breaking out of the loop stops further fetches', async () => {
    let seen = 0;
    for await (const _doc of crawl(`${site.base}/`, { ...local, concurrency: 4 })) {
      seen += 1;
      if (seen === 3) break;
    }
    // Requests dispatched just before the break may still be arriving; then nothing more.
    await sleep(100);
    const settled = site.requests;
    await sleep(300);
    expect(site.requests).toBe(settled);
    // At most the pages consumed plus one window of concurrency were ever requested (of 41).
    expect(settled).toBeLessThanOrEqual(3 + 4);
  });

  test('fetches at most concurrency ahead of a slow consumer', async () => {
    const pages = crawl(`${site.base}/`, { ...local, concurrency: 2 });
    await pages.next(); // the start page
    await pages.next(); // /p/1
    await sleep(300); // the consumer is busy
    expect(site.requests).toBeLessThanOrEqual(2 + 2);
    await pages.return(pages.stats);
    await sleep(50);
    expect(site.requests).toBeLessThanOrEqual(2 + 2);
  });
});

// Optional: the real Django REST framework documentation site (see ../shared/corpora/README.md).
const DRF_DOCS = corpusPath('drf-docs');
const hasDrfDocs = existsSync(DRF_DOCS);
if (!hasDrfDocs) {
  console.log(`Skipping the drf-docs crawl test: ${DRF_DOCS} is absent (it is optional).`);
}
(hasDrfDocs ? describe : describe.skip)('crawl of the DRF documentation (optional corpus)', () => {
  let server: http.Server;
  let base: string;
  const hits = new Map<string, number>();
  const TYPES: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.xml': 'application/xml',
    '.json': 'application/json',
  };

  beforeAll(async () => {
    // A minimal static server like GitHub Pages: folders map to their index.html, and a folder
    // without its trailing slash redirects to it (some pages link to `api-guide/serializers`).
    server = http.createServer(async (req, res) => {
      const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      hits.set(urlPath, (hits.get(urlPath) ?? 0) + 1);
      let file = path.join(DRF_DOCS, path.normalize(urlPath));
      if (!file.startsWith(DRF_DOCS)) file = path.join(DRF_DOCS, '404.html');
      try {
        if ((await fs.stat(file)).isDirectory()) {
          if (!urlPath.endsWith('/')) {
            res.writeHead(301, { location: `${urlPath}/` });
            res.end();
            return;
          }
          file = path.join(file, 'index.html');
        }
        const body = await fs.readFile(file);
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end(await fs.readFile(path.join(DRF_DOCS, '404.html')));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('finds all 68 pages reachable by links plus the sitemap-only page, each fetched once, on the loopback host', async () => {
    const pages = crawl(`${base}/`, local);
    const docs = await collect(pages);
    const urls = docs.map((doc) => doc.url.slice(base.length));
    expect(new Set(urls).size).toBe(urls.length);
    // 70 HTML files: 404.html is not linked, and the sitemap lists one page no page links to.
    // The sitemap and every canonical link name the production host: the crawl stays on loopback.
    expect(urls).toHaveLength(69);
    expect(docs.every((doc) => doc.url.startsWith(`${base}/`))).toBe(true);
    expect(urls).not.toContain('/404.html');
    expect(urls).toContain('/topics/writable-nested-serializers/');
    for (const url of urls) {
      expect(existsSync(path.join(DRF_DOCS, url, url.endsWith('/') ? 'index.html' : ''))).toBe(true);
    }
    for (const [urlPath, count] of hits) expect([urlPath, count]).toEqual([urlPath, 1]);
    expect(docs.every((doc) => doc.contentType === 'text/html')).toBe(true);
    // Two links lack the trailing slash (`api-guide/serializers#serializers`): their redirect
    // leads to a page already crawled, and is not followed. The sitemap also lists /theme/src/,
    // which the site does not have (HTTP 404).
    expect(pages.stats).toEqual(
      expect.objectContaining({ pages: 69, sitemapPages: 70, complete: true, skipped: expect.objectContaining({ duplicate: 2, status: 1 }) }),
    );
  });
});
