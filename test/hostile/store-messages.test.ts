/**
 * Wrong settings of the store and the model connection, as a user makes them: each is one line
 * naming the setting and what to do — never "unexpected error", a DNS lookup of a made-up host,
 * a raw constraint name, or retries of what cannot work.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase, serverUrl } from '../support/databases.js';
import { cliBin, runCliInProcess, type CliRun } from '../support/cli.js';
import { openAITarget } from '../../src/models/openai/client.js';
import { withTransaction } from '../../src/store/transaction.js';
import { StoreError } from '../../src/errors.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ragline-store-messages-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** The built bin as another user (`nobody`, when this process is root and may switch). */
function runAs(uid: number, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const child = spawn(process.execPath, [cliBin, ...args], { env: { PATH: process.env.PATH, ...env }, uid, gid: uid, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('a data folder that cannot be created', () => {
  test('under a file: one line naming the folder, the cause and RAGLINE_DATA_DIR', async () => {
    const file = path.join(root, 'a-file');
    await writeFile(file, 'not a folder');
    const r = await runCliInProcess(['collections'], { env: { RAGLINE_DATA_DIR: path.join(file, 'db') } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^ragline: Cannot create the data folder .*a-file\/db: .*\(ENOTDIR\): set RAGLINE_DATA_DIR to a folder this user can write/),
    ]);
  });

  test('without permission: one line naming the folder, the cause and RAGLINE_DATA_DIR', async () => {
    const parent = path.join(root, 'read-only');
    await mkdir(parent);
    await chmod(parent, 0o555);
    await chmod(root, 0o755);
    const args = ['collections'];
    const env = { RAGLINE_DATA_DIR: path.join(parent, 'db'), HOME: root };
    // Root may write anywhere: the bin runs as nobody then.
    const r = process.getuid?.() === 0 ? await runAs(65534, args, env) : await runCliInProcess(args, { env });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^ragline: Cannot create the data folder .*read-only\/db: .*\(EACCES\): set RAGLINE_DATA_DIR to a folder this user can write/),
    ]);
  });
});

describe('a DATABASE_URL that is not a Postgres URL', () => {
  test.each([['not a url'], ['http://db.example/ragline'], ['postgres//user@db.example/ragline']])('%s: one line naming DATABASE_URL, nothing looked up', async (url) => {
    const r = await runCliInProcess(['collections'], { env: { DATABASE_URL: url } });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ragline: DATABASE_URL is not a Postgres connection string \(postgres:\/\/user:password@host:5432\/database\)/)]);
  });
});

describe('the OpenAI provider without a key', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase('pglite');
  });
  afterAll(() => db.drop());

  test("an empty OPENAI_API_KEY with OpenAI's base URL: one line naming OPENAI_API_KEY, before any request", async () => {
    const doc = path.join(root, 'doc.md');
    await writeFile(doc, '# Title\n\nSome words to embed.');
    const r = await runCliInProcess(['ingest', doc, '-c', 'keyless', '--provider', 'openai'], {
      database: db,
      env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: 'https://api.openai.com/v1' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/unexpected error|Missing credentials/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^ragline: No API key for https:\/\/api\.openai\.com\/v1: set OPENAI_API_KEY/);
  });

  test('a keyless compatible server, here or elsewhere, needs none; an empty key counts as none', () => {
    expect(openAITarget({ env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: 'https://models.invalid/v1' } })).toEqual({ apiKey: 'unused', baseURL: 'https://models.invalid/v1' });
    expect(openAITarget({ env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' } }).baseURL).toBe('http://127.0.0.1:11434/v1');
    expect(openAITarget({ env: { OPENAI_BASE_URL: 'http://localhost:8000/v1' } }).apiKey).not.toBe('');
    expect(() => openAITarget({ env: { OPENAI_API_KEY: '' } })).toThrow(/No OpenAI API key: set OPENAI_API_KEY/);
  });
});

describe('a full disk inside a write', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase('pglite');
  });
  afterAll(() => db?.drop());

  test('is named as a full disk even when the write wrapped the driver error (a failed COPY), and the transaction rolls back', async () => {
    // Postgres's own error for a full disk, as a COPY wrapper passes it on as its cause.
    const driver = Object.assign(new Error('could not extend file "base/5/16812": No space left on device'), { code: '53100' });
    const wrapped = new StoreError('Binary COPY into chunks failed: could not extend file "base/5/16812": No space left on device', { cause: driver });
    const write = withTransaction(db.pool, async (client) => {
      await client.query(`INSERT INTO collections (name, embedding_provider, embedding_model, dimensions) VALUES ('full', 'local', 'm', 4)`);
      throw wrapped;
    });
    await expect(write).rejects.toThrow(
      /^Writing to the store failed: could not extend file "base\/5\/16812": No space left on device: free space on that disk, or use a data folder on another one\. What was stored before this write is kept\.$/,
    );
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM collections WHERE name = 'full'`)).rows[0].n).toBe(0);
  });
});

(serverUrl ? describe : describe.skip)('two ingests of one collection at once on a Postgres server', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    db = await freshDatabase('postgres');
  });
  afterAll(() => db.drop());

  test('all of them store the folder: a writer waits for the documents another holds, then replaces its chunks', async () => {
    const docs = path.join(root, 'many');
    await mkdir(docs);
    for (let i = 0; i < 150; i++) await writeFile(path.join(docs, `page${i}.md`), `# Page ${i}\n\n${`Words of page ${i}. `.repeat(200)}`);
    const runs = await Promise.all([0, 1, 2].map(() => runCliInProcess(['ingest', docs, '-c', 'shared'], { database: db })));
    for (const r of runs) {
      expect(r.stderr).not.toMatch(/duplicate key|chunks_document_id_ordinal_key|unexpected error/);
      expect(r.code).toBe(0);
    }
    // One set of chunks a document, numbered from 0 without gaps: no writer left another's rows behind.
    const { rows } = await db.pool.query<{ documents: string; bad: string }>(
      `SELECT count(DISTINCT d.id) AS documents,
              count(*) FILTER (WHERE d.chunk_count <> (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)) AS bad
         FROM documents d`,
    );
    expect(rows[0]).toEqual({ documents: '150', bad: '0' });
  }, 120_000);
});
