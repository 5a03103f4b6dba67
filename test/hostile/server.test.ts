/**
 * The Q&A server (and the static server of `ragline demo`) against a hostile-but-fair client on
 * loopback: malformed input gets a 4xx, never a 500 or a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/errors.js';
import { createExtractiveChat } from '../../src/models/local/extractive-chat.js';
import { packageRoot } from '../../src/package-root.js';
import { startServer } from '../../src/server/server.js';
import { ChatModelCache } from '../../src/server/chat-models.js';
import { SERVER_DEFAULTS } from '../../src/options/defaults.js';
import { createOpenAIChat } from '../../src/models/openai/chat.js';
import { postJson, startServerFixture, useServerFixture, type ServerFixture } from '../support/server-fixture.js';

/** A raw GET of `target` (sent as is, no URL normalisation), with extra headers; resolves with the status and body. */
function rawGet(base: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: target, method: 'GET', headers, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to GET ${target}`)));
    req.on('error', reject);
    req.end();
  });
}

interface ErrorBody {
  error: { message: string; type: string };
}

describe('hostile input to the Q&A server', () => {
  const f = useServerFixture('pglite');
  const url = (p: string) => `${f.server.url}${p}`;
  const chatRequests = () => f.standIn.requests.filter((r) => r.path === '/v1/chat/completions');


  test('malformed chat completion messages get a 400 naming the message at fault', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [[null], /`messages\[0\]` must be an object/],
      [[{ role: 'user', content: 'Retries?' }, 7], /`messages\[1\]` must be an object/],
      [['How do I upgrade?'], /`messages\[0\]` must be an object/],
      [[[{ role: 'user', content: 'x' }]], /`messages\[0\]` must be an object/],
      [[{ role: 'user', content: 42 }], /`messages\[0\]\.content` must be a string/],
    ];
    for (const [messages, message] of cases) {
      const r = await postJson(url('/v1/chat/completions'), { model: 'docs', messages });
      const body = (await r.json()) as ErrorBody;
      expect([r.status, body.error.type]).toEqual([400, 'invalid_request_error']);
      expect(body.error.message).toMatch(message);
    }
    expect(chatRequests()).toHaveLength(0);
  });

  test('a model id that is not valid percent-encoding gets a 400, not a 500', async () => {
    for (const target of ['/v1/models/%E0%A4%A', '/v1/models/%', '/v1/models/docs%FF']) {
      const r = await rawGet(f.server.url, target);
      expect([target, r.status]).toEqual([target, 400]);
      expect((JSON.parse(r.body) as ErrorBody).error).toEqual({ type: 'invalid_request_error', message: expect.stringMatching(/not valid percent-encoding/) });
    }
    // The server still answers.
    expect((await fetch(url('/v1/models/docs'))).status).toBe(200);
  });

  test('a request target that is no URL gets a 400', async () => {
    const r = await rawGet(f.server.url, 'http://[oops/api/collections');
    expect(r.status).toBe(400);
    expect((JSON.parse(r.body) as ErrorBody).error.type).toBe('invalid_request_error');
    expect((await fetch(url('/healthz'))).status).toBe(200);
  });
});

describe('cross-site requests to a keyless loopback server', () => {
  const f = useServerFixture('pglite');
  const url = (p: string) => `${f.server.url}${p}`;
  const modelRequests = () => f.standIn.requests.filter((r) => r.path === '/v1/chat/completions' || r.path === '/v1/embeddings');
  const ATTACKER = 'https://attacker.example';
  const question = { question: 'How do I upgrade?' };


  test('a JSON route refuses a body that is not sent as application/json with 415', async () => {
    const plain = (p: string, body: unknown, headers: Record<string, string> = {}) => fetch(url(p), { method: 'POST', headers, body: JSON.stringify(body) });
    const cases: Array<[Promise<Response>, string]> = [
      [plain('/api/ask', question), 'text/plain'],
      [plain('/api/search', { query: 'upgrade' }), 'text/plain'],
      [plain('/v1/chat/completions', { model: 'docs', messages: [{ role: 'user', content: 'Upgrade?' }] }), 'text/plain'],
      [plain('/api/ask', question, { 'content-type': 'application/x-www-form-urlencoded' }), 'application/x-www-form-urlencoded'],
      [plain('/api/ask', question, { 'content-type': 'multipart/form-data; boundary=x' }), 'multipart/form-data'],
    ];
    for (const [pending, sent] of cases) {
      const r = await pending;
      const body = (await r.json()) as ErrorBody;
      expect([r.status, body.error.type]).toEqual([415, 'invalid_request_error']);
      expect(body.error.message).toMatch(/content-type: application\/json/);
      expect(body.error.message).toContain(`"${sent}"`);
    }
    expect(modelRequests()).toHaveLength(0);
    // JSON with a charset is JSON.
    expect((await postJson(url('/api/ask'), question, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(200);
  });

  test('a request from a foreign Origin gets 403 before it reaches the model', async () => {
    // The reported case: a form-like text/plain POST needs no CORS preflight.
    const simple = await fetch(url('/api/ask'), { method: 'POST', headers: { origin: ATTACKER, 'content-type': 'text/plain' }, body: JSON.stringify(question) });
    expect(simple.status).toBe(403);
    const json = await postJson(url('/v1/chat/completions'), { model: 'docs', messages: [{ role: 'user', content: 'Upgrade?' }] }, { origin: ATTACKER });
    expect(json.status).toBe(403);
    const body = (await json.json()) as ErrorBody;
    expect(body.error.type).toBe('permission_error');
    expect(body.error.message).toMatch(/Origin "https:\/\/attacker\.example" is not allowed.*corsOrigins.*--cors/);
    for (const origin of ['null', 'http://localhost.attacker.example', `http://127.0.0.1:${f.server.port + 1}`]) {
      expect([origin, (await postJson(url('/api/search'), { query: 'upgrade' }, { origin })).status]).toEqual([origin, 403]);
    }
    expect((await fetch(url('/api/collections'), { headers: { origin: ATTACKER } })).status).toBe(403);
    expect(modelRequests()).toHaveLength(0);
  });

  test('the chat page (same origin) and clients without an Origin (SDKs) are served', async () => {
    expect((await postJson(url('/api/ask'), question, { origin: f.server.url })).status).toBe(200);
    const viaLocalhost = await new Promise<number>((resolve, reject) => {
      const body = JSON.stringify(question);
      const origin = `http://localhost:${f.server.port}`;
      const req = request({ host: '127.0.0.1', port: f.server.port, path: '/api/ask', method: 'POST', headers: { host: `localhost:${f.server.port}`, origin, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(viaLocalhost).toBe(200);
    expect((await postJson(url('/api/ask'), question)).status).toBe(200);
    expect((await fetch(url('/api/collections'))).status).toBe(200);
  });

  test('origins in corsOrigins are allowed, with their CORS headers', async () => {
    await f.restart({ corsOrigins: ['https://docs.example.com'] });
    const r = await postJson(url('/api/search'), { query: 'upgrade' }, { origin: 'https://docs.example.com' });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://docs.example.com');
    expect((await postJson(url('/api/search'), { query: 'upgrade' }, { origin: ATTACKER })).status).toBe(403);
    await f.restart({ corsOrigins: ['*'] });
    expect((await postJson(url('/api/search'), { query: 'upgrade' }, { origin: ATTACKER })).status).toBe(200);
    await f.restart();
  });

  test('a Host that is not one the server is bound to gets 403 (DNS rebinding)', async () => {
    const port = f.server.port;
    for (const host of ['attacker.example', `attacker.example:${port}`, `localhost.attacker.example:${port}`, `127.0.0.1.nip.io:${port}`]) {
      for (const target of ['/', '/api/collections', '/v1/models', '/healthz']) {
        const r = await rawGet(f.server.url, target, { host });
        expect([host, target, r.status]).toEqual([host, target, 403]);
      }
    }
    const refused = await rawGet(f.server.url, '/api/collections', { host: `attacker.example:${port}` });
    expect(JSON.parse(refused.body)).toEqual({ error: { type: 'permission_error', message: expect.stringMatching(/Host "attacker\.example" is not one this server answers to.*allowedHosts.*--allowed-host/) } });
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, '127.0.0.1']) {
      expect([host, (await rawGet(f.server.url, '/api/collections', { host })).status]).toEqual([host, 200]);
    }
  });

  test('listening on all interfaces, the address of each interface is accepted as Host, other names are not', async () => {
    const key = 'sk-ragline-hostile-0123456789abcdef';
    await f.restart({ host: '0.0.0.0', apiKeys: [key] });
    const base = `http://127.0.0.1:${f.server.port}`;
    const auth = { authorization: `Bearer ${key}` };
    const addresses = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).filter((i) => i.family === 'IPv4').map((i) => i.address));
    for (const address of addresses) expect([address, (await rawGet(base, '/api/collections', { ...auth, host: `${address}:${f.server.port}` })).status]).toEqual([address, 200]);
    expect((await rawGet(base, '/api/collections', { ...auth, host: `attacker.example:${f.server.port}` })).status).toBe(403);
    await f.restart();
  });

  test('allowedHosts adds host names; "*" accepts any', async () => {
    await f.restart({ allowedHosts: ['Rag.Internal', 'proxy.internal:443'] });
    const port = f.server.port;
    expect((await rawGet(f.server.url, '/api/collections', { host: `rag.internal:${port}` })).status).toBe(200);
    expect((await rawGet(f.server.url, '/api/collections', { host: 'proxy.internal' })).status).toBe(200);
    expect((await rawGet(f.server.url, '/api/collections', { host: `localhost:${port}` })).status).toBe(200);
    expect((await rawGet(f.server.url, '/api/collections', { host: `attacker.example:${port}` })).status).toBe(403);
    await f.restart({ allowedHosts: ['*'] });
    expect((await rawGet(f.server.url, '/api/collections', { host: `attacker.example:${f.server.port}` })).status).toBe(200);
    await f.restart();
    await expect(startServer({ db: f.db, chat: createExtractiveChat(), allowedHosts: ['rag internal'] })).rejects.toThrow(ConfigError);
    await expect(startServer({ db: f.db, chat: createExtractiveChat(), allowedHosts: [''] })).rejects.toThrow(/Every allowed host must be a host name/);
  });
});

describe('chat models named by clients', () => {
  let f: ServerFixture;
  const built: string[] = [];

  beforeAll(async () => {
    f = await startServerFixture('pglite');
  });
  afterAll(async () => {
    await f?.close();
  });

  /** A completion request for `docs:<model>` that is refused after its chat model was chosen (no messages). */
  const ask = async (model: string) => {
    const r = await postJson(`${f.server.url}/v1/chat/completions`, { model: `docs:${model}`, messages: [] });
    expect(r.status).toBe(400);
  };

  test('1,200 distinct `collection:model` names keep the model cache at its bound, least recently used out first', async () => {
    await f.restart({
      allowedChatModels: ['*'],
      resolveChat: (model) => {
        built.push(model);
        return createOpenAIChat({ client: f.client, model, contextWindow: 128_000, maxOutputTokens: 4_096 });
      },
    });
    const bound = SERVER_DEFAULTS.maxCachedChatModels;
    expect(bound).toBeGreaterThan(1);
    expect(bound).toBeLessThanOrEqual(64);
    for (let i = 0; i < 1200; i++) await ask(`model-${i}`);
    expect(built).toHaveLength(1200);
    // The most recent `bound` names are kept: asking again builds nothing.
    for (let i = 1200 - bound; i < 1200; i++) await ask(`model-${i}`);
    expect(built).toHaveLength(1200);
    // Anything older was let go, and is built again when asked for.
    await ask('model-0');
    await ask(`model-${1200 - bound - 1}`);
    expect(built.slice(1200)).toEqual(['model-0', `model-${1200 - bound - 1}`]);
    // A name in use stays: the last asked-for is not the one evicted.
    const kept = `model-${1200 - 1}`;
    await ask(kept);
    for (let i = 0; i < bound - 1; i++) await ask(`fresh-${i}`);
    await ask(kept);
    expect(built.filter((m) => m === kept)).toHaveLength(1);
    await f.restart();
  });

  test('maxCachedChatModels sets the bound; the cache never holds more', async () => {
    const cache = new ChatModelCache({ chat: createExtractiveChat(), resolveChat: () => createExtractiveChat(), allowedChatModels: ['*'] }, 5);
    for (let i = 0; i < 1200; i++) {
      cache.get(`m-${i}`);
      expect(cache.size).toBeLessThanOrEqual(5);
    }
    expect(cache.size).toBe(5);
    await expect(startServer({ db: f.db, chat: createExtractiveChat(), maxCachedChatModels: 0 })).rejects.toThrow(ConfigError);

    built.length = 0;
    await f.restart({
      allowedChatModels: ['*'],
      maxCachedChatModels: 2,
      resolveChat: (model) => {
        built.push(model);
        return createOpenAIChat({ client: f.client, model, contextWindow: 128_000, maxOutputTokens: 4_096 });
      },
    });
    for (const model of ['a', 'b', 'b', 'c', 'b', 'a']) await ask(model);
    expect(built).toEqual(['a', 'b', 'c', 'a']);
    await f.restart();
  });
});

describe('ragline serve --allowed-host', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-hostile-serve-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  test('adds host names the server answers to; others get 403', async () => {
    const bin = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
    child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--allowed-host', 'rag.internal', '--allowed-host', 'other.internal'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, RAGLINE_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const base = await new Promise<string>((resolve, reject) => {
      child!.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /Serving on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child!.once('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    const port = new URL(base).port;
    expect((await rawGet(base, '/healthz', { host: `rag.internal:${port}` })).status).toBe(200);
    expect((await rawGet(base, '/healthz', { host: `other.internal:${port}` })).status).toBe(200);
    expect((await rawGet(base, '/healthz', { host: `attacker.example:${port}` })).status).toBe(403);
  });
});

describe('hostile input to the static server of `ragline demo`', () => {
  const built = path.join(packageRoot(), 'dist', 'src', 'net', 'static-server.js');
  let dir: string;
  let child: ChildProcess;
  let base: string;
  let stderr = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-hostile-static-'));
    await writeFile(path.join(dir, 'index.html'), '<p>home</p>');
    // In its own process, so that a crash is seen as one (and does not take the test runner down).
    const script = `const { serveStatic } = await import(${JSON.stringify(built)}); const s = await serveStatic(${JSON.stringify(dir)}); console.log(s.url);`;
    child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    base = await new Promise<string>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', () => reject(new Error(`static server exited: ${stderr}`)));
    });
  });
  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('a path that is not valid percent-encoding gets a 400 and the process keeps serving', async () => {
    for (const target of ['/%E0%A4%A', '/%', '/docs/%FF%FE']) {
      const r = await rawGet(base, target);
      expect([target, r.status]).toEqual([target, 400]);
    }
    expect(await rawGet(base, '/')).toEqual({ status: 200, body: '<p>home</p>' });
    expect(child.exitCode).toBeNull();
    expect(stderr).toBe('');
  });
});
