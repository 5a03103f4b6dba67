/**
 * The Q&A server (and the static server of `ragline demo`) against a hostile-but-fair client on
 * loopback: malformed input gets a 4xx, never a 500 or a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import { postJson, startServerFixture, type ServerFixture } from '../support/server-fixture.js';

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
  let f: ServerFixture;
  const url = (p: string) => `${f.server.url}${p}`;
  const chatRequests = () => f.standIn.requests.filter((r) => r.path === '/v1/chat/completions');

  beforeAll(async () => {
    f = await startServerFixture('pglite');
  });
  afterAll(async () => {
    await f?.close();
  });
  beforeEach(() => {
    f.standIn.requests.length = 0;
  });

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
