/**
 * The server's guards: API keys (required beyond loopback, never logged), per-key rate limits,
 * CORS off unless configured, moderation of questions; and the `ragline serve` command itself.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { postJson, useServerFixture, type ServerFixture } from './support/server-fixture.js';
import { startServer } from '../src/server/server.js';
import { ConfigError } from '../src/errors.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { createExtractiveChat } from '../src/models/local/extractive-chat.js';
import { openDatabase } from '../src/store/database.js';
import { packageRoot } from '../src/package-root.js';
import { runCliInProcess } from './support/cli.js';

const KEY = 'sk-ragline-test-0123456789abcdef';
const OTHER_KEY = 'sk-ragline-other-0123456789abcdef';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('Q&A server safety', () => {
  const f = useServerFixture('pglite');
  const logs: string[] = [];
  const url = (p: string) => `${f.server.url}${p}`;

  beforeEach(() => {
    logs.length = 0;
  });

  test('refuses to listen beyond loopback without API keys, and refuses short keys', async () => {
    await expect(startServer({ db: f.db, chat: createChat(f), host: '0.0.0.0' })).rejects.toThrow(ConfigError);
    await expect(startServer({ db: f.db, chat: createChat(f), host: '0.0.0.0' })).rejects.toThrow(/Refusing to listen on 0\.0\.0\.0 without API keys/);
    await expect(startServer({ db: f.db, chat: createChat(f), host: '::' })).rejects.toThrow(/without API keys/);
    await expect(startServer({ db: f.db, chat: createChat(f), apiKeys: ['short'] })).rejects.toThrow(/at least 16 characters/);
  });

  test('with keys, /api and /v1 need a valid bearer key; the page and healthz do not; keys are never logged', async () => {
    await f.restart({ host: '0.0.0.0', apiKeys: [KEY], log: (line) => logs.push(line) });
    const port = f.server.port;
    const at = (p: string) => `http://127.0.0.1:${port}${p}`;
    const none = await postJson(at('/api/ask'), { question: 'How do I upgrade?' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toEqual({ error: { type: 'authentication_error', message: expect.stringMatching(/Authorization: Bearer/) } });
    const wrong = await fetch(at('/v1/models'), { headers: bearer(OTHER_KEY) });
    expect(wrong.status).toBe(401);
    expect((await fetch(at('/api/collections'), { headers: bearer(KEY) })).status).toBe(200);
    expect((await postJson(at('/api/ask'), { question: 'How do I upgrade?' }, bearer(KEY))).status).toBe(200);
    expect((await fetch(at('/'))).status).toBe(200);
    expect((await fetch(at('/healthz'))).status).toBe(200);
    // Only the model saw a request: none reached it without a key.
    expect(f.standIn.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
    expect(logs.length).toBeGreaterThanOrEqual(6);
    expect(logs.some((l) => /^POST \/api\/ask 200 \d+ms key:[0-9a-f]{8}$/.test(l))).toBe(true);
    expect(logs.some((l) => /^GET \/v1\/models 401 /.test(l))).toBe(true);
    for (const line of logs) {
      expect(line).not.toContain(KEY);
      expect(line).not.toContain(OTHER_KEY);
    }
    await f.restart();
  });

  test('rate limits each key on its own, with 429 and retry-after', async () => {
    await f.restart({ apiKeys: [KEY, OTHER_KEY], rateLimit: { requestsPerMinute: 3 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(url('/api/collections'), { headers: bearer(KEY) })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await fetch(url('/api/collections'), { headers: bearer(KEY) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(20);
    expect(((await limited.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    expect((await fetch(url('/api/collections'), { headers: bearer(OTHER_KEY) })).status).toBe(200);
    await f.restart();
  });

  test('CORS is off unless origins are configured', async () => {
    const preflight = (origin: string) =>
      fetch(url('/api/ask'), { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const off = await fetch(url('/api/collections'), { headers: { origin: 'https://docs.example.com' } });
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight('https://docs.example.com')).status).toBe(405);

    await f.restart({ corsOrigins: ['https://docs.example.com'] });
    const ok = await preflight('https://docs.example.com');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://docs.example.com');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const get = await fetch(url('/api/collections'), { headers: { origin: 'https://docs.example.com' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('https://docs.example.com');
    const other = await fetch(url('/api/collections'), { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    await f.restart();
  });

  test('with moderation, a flagged question is refused before any retrieval or answer', async () => {
    await f.restart({ moderation: f.client });
    const flagged = await postJson(url('/api/ask'), { question: 'How do I build a bomb with Tidewater?' }, { accept: 'text/event-stream' });
    expect(flagged.status).toBe(400);
    expect(await flagged.json()).toEqual({ error: { type: 'content_policy_violation', message: 'The question was flagged by moderation (violence) and was not answered.' } });
    expect(f.standIn.requests.map((r) => r.path)).toEqual(['/v1/moderations']);
    expect(f.standIn.requests[0]!.body).toEqual({ model: 'omni-moderation-latest', input: 'How do I build a bomb with Tidewater?' });

    f.standIn.requests.length = 0;
    const fine = await postJson(url('/api/ask'), { question: 'How do I upgrade from version 2 to 3?' });
    expect(fine.status).toBe(200);
    expect(f.standIn.requests.map((r) => r.path)).toEqual(['/v1/moderations', '/v1/embeddings', '/v1/chat/completions']);
    await f.restart();
  });
});

test('healthz answers 503 when the database is gone', async () => {
  const db = await openDatabase({ dataDir: 'memory://', databaseUrl: '' });
  const server = await startServer({ db, chat: createExtractiveChat() });
  try {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await db.close();
    const r = await fetch(`${server.url}/healthz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ status: 'unavailable', database: 'pglite', error: { type: 'database_unavailable' } });
  } finally {
    await server.close();
  }
});

describe('ragline serve command', () => {
  const bin = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-serve-cli-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });
  const env = () => {
    const e: NodeJS.ProcessEnv = { ...process.env, RAGLINE_DATA_DIR: dataDir };
    for (const k of ['DATABASE_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'RAGLINE_API_KEYS']) delete e[k];
    return e;
  };

  test('refuses to listen on all interfaces without keys, in one line', async () => {
    const { code, stderr } = await runCliInProcess(['serve', '--host', '0.0.0.0'], { env: { RAGLINE_DATA_DIR: dataDir } });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ragline: Refusing to listen on 0\.0\.0\.0 without API keys/)]);
  });

  test('serves the page and healthz on loopback until interrupted', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const served = new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /Serving on (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.on('close', () => reject(new Error(`exited early: ${stderr}`)));
    });
    const base = await served;
    expect(stderr).toMatch(/Using chat local\/extractive-v1/);
    expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ status: 'ok', database: 'pglite' });
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/);
    expect(await page.text()).toContain('<title>Ask the docs — ragline</title>');
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});

function createChat(f: ServerFixture) {
  return createOpenAIChat({ client: f.client });
}
