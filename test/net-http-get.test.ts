import http from 'node:http';
import type { AddressInfo } from 'node:net';
import dns from 'node:dns';
import zlib from 'node:zlib';
import { ConfigError, FetchError } from '../src/errors.js';
import {
  createGuardedLookup,
  isPrivateAddress,
  type Resolver,
} from '../src/net/address-guard.js';
import { DEFAULT_USER_AGENT, decodeText, httpGet } from '../src/net/http-get.js';

/** Encode text as windows-1252 (Node has no encoder for it; these are the characters we use). */
function cp1252(text: string): Buffer {
  const special: Record<string, number> = { '€': 0x80, '“': 0x93, '”': 0x94, '–': 0x96 };
  return Buffer.from([...text].map((char) => special[char] ?? char.charCodeAt(0)));
}
const LEGACY_TEXT = 'café “quoted” – naïve €5';

let server: http.Server;
let base: string;
let port: number;
/** Bytes the /endless route managed to write before the client hung up, and whether it did. */
let endless = { written: 0, closed: Promise.resolve() };

const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void> = {
  '/hello': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<p>hello</p>');
  },
  '/headers': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.headers));
  },
  '/missing': (_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<h1>Not found</h1>');
  },
  '/gzip': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    res.end(zlib.gzipSync('gzip body ✓'));
  },
  '/deflate': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'deflate' });
    res.end(zlib.deflateSync('zlib deflate body'));
  },
  '/deflate-raw': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'deflate' });
    res.end(zlib.deflateRawSync('raw deflate body'));
  },
  '/br': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'br' });
    res.end(zlib.brotliCompressSync('brotli body'));
  },
  '/bomb': (_req, res) => {
    // 20 MiB of zeros in about 20 KB of gzip.
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    res.end(zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024)));
  },
  '/declared-huge': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(1024 ** 3) });
    res.write('x'); // and then nothing: the client must not wait for the rest
  },
  '/endless': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let done = false;
    endless.closed = new Promise((resolve) => res.once('close', () => { done = true; resolve(); }));
    const pump = (): void => {
      while (!done) {
        endless.written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  },
  '/silent': () => {
    // Never answers.
  },
  '/drip': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('.'), 50);
    res.once('close', () => clearInterval(timer));
  },
  '/loop-a': (_req, res) => {
    res.writeHead(302, { location: '/loop-b' });
    res.end();
  },
  '/loop-b': (_req, res) => {
    res.writeHead(301, { location: '/loop-a#again' });
    res.end();
  },
  '/latin1-header': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=ISO-8859-1' });
    res.end(cp1252(`<p>${LEGACY_TEXT}</p>`));
  },
  '/meta-charset': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(cp1252(`<html><head><meta charset="windows-1252"><title>t</title></head><body>${LEGACY_TEXT}</body></html>`));
  },
  '/meta-http-equiv': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(
      cp1252(
        `<html><head><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1"></head><body>${LEGACY_TEXT}</body></html>`,
      ),
    );
  },
  '/shift-jis': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=Shift_JIS' });
    res.end(Buffer.from([0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea])); // 日本語
  },
  '/bogus-charset': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=x-no-such-charset' });
    res.end('naïve ✓');
  },
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chain = /^\/chain\/(\d+)$/.exec(url.pathname);
    if (chain) {
      const n = Number(chain[1]);
      res.writeHead(302, { location: n === 0 ? '/hello' : `/chain/${n - 1}` });
      res.end();
      return;
    }
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' });
      res.end();
      return;
    }
    const route = routes[url.pathname];
    if (route) route(req, res);
    else routes['/missing']!(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The rejection of a promise, asserting that it rejects. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

const local = { allowPrivateNetwork: true } as const;

describe('address classification', () => {
  test.each([
    '127.0.0.1',
    '127.255.0.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '64:ff9b::10.0.0.1',
    '2002:7f00:1::',
    '[::1]',
    'not-an-address',
  ])('%s is private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  test.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  test('the guarded lookup refuses a name if any of its addresses is private', async () => {
    const resolve: Resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    const lookup = createGuardedLookup({ resolve, url: 'http://mixed.example/' });
    const error = await new Promise((done) => lookup('mixed.example', {}, (err) => done(err)));
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ reason: 'private-address', url: 'http://mixed.example/' });
  });

  test('the guarded lookup answers with every address when asked for all', async () => {
    const resolve: Resolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ];
    const lookup = createGuardedLookup({ resolve });
    const all = await new Promise((done) => lookup('public.example', { all: true }, (_err, addresses) => done(addresses)));
    expect(all).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1::1', family: 6 },
    ]);
    const v6 = await new Promise((done) =>
      lookup('public.example', { family: 6 }, (_err, address, family) => done([address, family])),
    );
    expect(v6).toEqual(['2606:2800:220:1::1', 6]);
  });

  test('a malformed allowAddresses entry is a ConfigError naming it', () => {
    expect(() => createGuardedLookup({ allowAddresses: ['10.0.0.0/33'] })).toThrow(ConfigError);
    expect(() => createGuardedLookup({ allowAddresses: ['intranet'] })).toThrow(/`intranet` \(string\)/);
  });
});

describe('httpGet: SSRF guard and schemes', () => {
  test('refuses a loopback IP literal without the flag, with a message saying what to do', async () => {
    const error = await rejection(httpGet(`${base}/hello`));
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ reason: 'private-address', url: `${base}/hello` });
    expect((error as Error).message).toBe(
      `Refusing to fetch ${base}/hello: 127.0.0.1 is a private or loopback address. ` +
        'Pass `allowPrivateNetwork: true` to crawl local or intranet sites.',
    );
  });

  test('refuses a hostname that resolves to loopback (localhost)', async () => {
    const error = await rejection(httpGet(`http://localhost:${port}/hello`));
    expect(error).toMatchObject({ reason: 'private-address' });
    expect((error as Error).message).toMatch(/it resolves to a private or loopback address \((127\.0\.0\.1|::1)\)/);
  });

  test('refuses IPv4-mapped IPv6 literals', async () => {
    const error = await rejection(httpGet(`http://[::ffff:127.0.0.1]:${port}/hello`));
    expect(error).toMatchObject({ reason: 'private-address' });
  });

  test('allows loopback with allowPrivateNetwork', async () => {
    const res = await httpGet(`${base}/hello`, local);
    expect(res).toMatchObject({
      url: `${base}/hello`,
      status: 200,
      contentType: 'text/html',
      body: '<p>hello</p>',
      bytes: 12,
      redirects: [],
    });
  });

  test('allows exactly the addresses listed in allowAddresses', async () => {
    const res = await httpGet(`${base}/hello`, { allowAddresses: ['127.0.0.0/30'] });
    expect(res.status).toBe(200);
  });

  test.each(['file:///etc/passwd', 'ftp://example.com/file.txt', 'gopher://example.com/'])(
    'refuses the scheme of %s',
    async (url) => {
      const error = await rejection(httpGet(url, local));
      expect(error).toBeInstanceOf(FetchError);
      expect(error).toMatchObject({ reason: 'scheme', url });
    },
  );

  test('a URL without a scheme is a ConfigError', async () => {
    const error = await rejection(httpGet('example.com/page'));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/is not an absolute URL/);
  });

  describe('a redirect to a private address is refused', () => {
    // A "public" site is simulated with a resolver: docs.example is the test server, trusted
    // through allowAddresses, and every other name and literal gets the default policy.
    const resolve: Resolver = async (hostname) => {
      if (hostname === 'docs.example') return [{ address: '127.0.0.1', family: 4 }];
      if (hostname === 'metadata.example') return [{ address: '169.254.169.254', family: 4 }];
      return dns.promises.lookup(hostname, { all: true });
    };
    const policy = { resolve, allowAddresses: ['127.0.0.1'] };
    const redirectTo = (target: string) => `http://docs.example:${port}/redirect?to=${encodeURIComponent(target)}`;

    test('the simulated public site itself is reachable', async () => {
      const res = await httpGet(`http://docs.example:${port}/hello`, policy);
      expect(res.body).toBe('<p>hello</p>');
    });

    test.each([
      ['a name resolving to the metadata service', 'http://metadata.example/latest/meta-data/'],
      ['the metadata IP literal', 'http://169.254.169.254/latest/meta-data/'],
      ['an RFC 1918 literal', 'http://10.0.0.1/admin'],
      ['an IPv6 unique-local literal', 'http://[fd00:ec2::254]/'],
    ])('%s', async (_name, target) => {
      const error = await rejection(httpGet(redirectTo(target), policy));
      expect(error).toBeInstanceOf(FetchError);
      expect(error).toMatchObject({ reason: 'private-address', url: new URL(target).href });
    });

    test('a redirect to a non-http scheme', async () => {
      const error = await rejection(httpGet(redirectTo('file:///etc/passwd'), policy));
      expect(error).toMatchObject({ reason: 'scheme', url: 'file:///etc/passwd' });
    });
  });
});

describe('httpGet: redirects', () => {
  test('follows redirects and reports the final URL and the hops', async () => {
    const res = await httpGet(`${base}/chain/2`, local);
    expect(res).toMatchObject({
      url: `${base}/hello`,
      status: 200,
      redirects: [`${base}/chain/2`, `${base}/chain/1`, `${base}/chain/0`],
    });
  });

  test('stops a redirect loop', async () => {
    const error = await rejection(httpGet(`${base}/loop-a`, local));
    expect(error).toMatchObject({ reason: 'redirects' });
    expect((error as Error).message).toMatch(/redirect loop/);
  });

  test('stops after maxRedirects', async () => {
    // /chain/2 takes 3 redirects to reach /hello, /chain/3 takes 4.
    await expect(httpGet(`${base}/chain/2`, { ...local, maxRedirects: 3 })).resolves.toMatchObject({ status: 200 });
    const error = await rejection(httpGet(`${base}/chain/3`, { ...local, maxRedirects: 3 }));
    expect(error).toMatchObject({ reason: 'redirects', status: 302 });
  });

  test('drops credentials when a redirect leaves the origin', async () => {
    const headers = { authorization: 'Bearer secret', 'x-trace': 'kept' };
    const same = await httpGet(`${base}/redirect?to=/headers`, { ...local, headers });
    expect(JSON.parse(same.body)).toMatchObject({ authorization: 'Bearer secret', 'x-trace': 'kept' });
    const other = await httpGet(`${base}/redirect?to=${encodeURIComponent(`http://localhost:${port}/headers`)}`, {
      ...local,
      headers,
    });
    const received = JSON.parse(other.body) as Record<string, string>;
    expect(received['authorization']).toBeUndefined();
    expect(received['x-trace']).toBe('kept');
  });
});

describe('httpGet: limits', () => {
  test('returns non-2xx responses instead of throwing', async () => {
    const res = await httpGet(`${base}/missing`, local);
    expect(res).toMatchObject({ status: 404, body: '<h1>Not found</h1>' });
  });

  test('stops an endless response at maxBytes without reading it all', async () => {
    endless = { written: 0, closed: Promise.resolve() };
    const error = await rejection(httpGet(`${base}/endless`, { ...local, maxBytes: 256 * 1024 }));
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ reason: 'too-large', status: 200 });
    await endless.closed; // the server saw the connection close
    // Whatever socket buffers absorbed, far less than "endless" was sent.
    expect(endless.written).toBeLessThan(32 * 1024 * 1024);
  });

  test('refuses a declared content-length above maxBytes before reading', async () => {
    const started = Date.now();
    const error = await rejection(httpGet(`${base}/declared-huge`, { ...local, maxBytes: 1024 }));
    expect(error).toMatchObject({ reason: 'too-large' });
    expect((error as Error).message).toMatch(/declared content-length 1073741824/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('applies maxBytes to decoded bytes (gzip bomb)', async () => {
    const error = await rejection(httpGet(`${base}/bomb`, { ...local, maxBytes: 1024 * 1024 }));
    expect(error).toMatchObject({ reason: 'too-large' });
    expect((error as Error).message).toMatch(/decoded body/);
  });

  test('times out a server that never answers', async () => {
    const started = Date.now();
    const error = await rejection(httpGet(`${base}/silent`, { ...local, timeoutMs: 200 }));
    expect(error).toBeInstanceOf(FetchError);
    expect(error).toMatchObject({ reason: 'timeout', url: `${base}/silent` });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('times out a body that drips forever (the deadline covers the whole fetch)', async () => {
    const error = await rejection(httpGet(`${base}/drip`, { ...local, timeoutMs: 300 }));
    expect(error).toMatchObject({ reason: 'timeout' });
  });

  test('an abort signal rejects with its reason', async () => {
    const controller = new AbortController();
    const pending = httpGet(`${base}/silent`, { ...local, signal: controller.signal });
    const reason = new Error('user stopped');
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
  });

  test('a connection error is a FetchError of reason network with the cause', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejection(httpGet(`http://127.0.0.1:${freePort}/`, local));
    expect(error).toMatchObject({ reason: 'network' });
    expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
  });

  test.each([
    ['timeoutMs', 0],
    ['maxBytes', -1],
    ['maxRedirects', 1.5],
    ['userAgent', ''],
  ])('validates %s', async (option, value) => {
    const error = await rejection(httpGet(`${base}/hello`, { ...local, [option]: value }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ option });
    expect((error as Error).message).toContain(`(${typeof value})`);
  });
});

describe('httpGet: decoding', () => {
  test.each([
    ['/gzip', 'gzip body ✓'],
    ['/deflate', 'zlib deflate body'],
    ['/deflate-raw', 'raw deflate body'],
    ['/br', 'brotli body'],
  ])('decodes %s', async (path, body) => {
    const res = await httpGet(`${base}${path}`, local);
    expect(res.body).toBe(body);
    expect(res.bytes).toBe(Buffer.byteLength(body));
  });

  test('sends the default user agent and custom headers', async () => {
    const res = await httpGet(`${base}/headers`, { ...local, headers: { 'X-Custom': 'yes' } });
    const received = JSON.parse(res.body) as Record<string, string>;
    expect(received['user-agent']).toBe(DEFAULT_USER_AGENT);
    expect(received['x-custom']).toBe('yes');
    expect(received['accept-encoding']).toMatch(/gzip/);
    const custom = await httpGet(`${base}/headers`, { ...local, userAgent: 'docs-bot/1.0' });
    expect(JSON.parse(custom.body)['user-agent']).toBe('docs-bot/1.0');
  });

  test.each(['/latin1-header', '/meta-charset', '/meta-http-equiv'])(
    'decodes a windows-1252 page declared by %s',
    async (path) => {
      const res = await httpGet(`${base}${path}`, local);
      expect(res.body).toContain(LEGACY_TEXT);
    },
  );

  test('decodes Shift_JIS declared in the header', async () => {
    expect((await httpGet(`${base}/shift-jis`, local)).body).toBe('日本語');
  });

  test('falls back to UTF-8 for an unknown charset label', async () => {
    expect((await httpGet(`${base}/bogus-charset`, local)).body).toBe('naïve ✓');
  });

  test('decodeText: a BOM wins, a header beats a meta tag, UTF-8 by default', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo')]);
    expect(decodeText(bom, 'text/html; charset=windows-1252')).toBe('héllo');
    const page = cp1252('<meta charset="utf-8">é');
    expect(decodeText(page, 'text/html; charset=windows-1252')).toBe('<meta charset="utf-8">é');
    expect(decodeText(Buffer.from('é ✓'))).toBe('é ✓');
    // A meta tag after the first 1024 bytes is not looked at.
    const late = Buffer.concat([Buffer.from(' '.repeat(1100)), cp1252('<meta charset="windows-1252">é')]);
    expect(decodeText(late, 'text/html')).toContain('\uFFFD');
  });
});
