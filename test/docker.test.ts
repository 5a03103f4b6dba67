/**
 * The container setup, without a Docker engine: the Dockerfile's shape (multi-stage, production
 * dependencies only, a non-root user, a HEALTHCHECK on /healthz) and docker-compose.yml's services
 * are read and checked; then the runtime stage's own install commands run on a clean copy of the
 * packed package, its ENTRYPOINT + CMD start the server against Postgres, its HEALTHCHECK command
 * passes, and the compose file's worker command starts and stops on SIGTERM. Slow (npm pack and a
 * production install): few tests.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../src/package-root.js';
import { freshDatabase, serverUrl } from './support/databases.js';
import { waitFor } from './support/wait-for.js';

const run = promisify(execFile);
const root = packageRoot();

interface Instruction {
  op: string;
  args: string;
}

/** The Dockerfile's instructions by stage: continuation lines joined, comments dropped. */
function readDockerfile(text: string): Instruction[][] {
  const joined = text.replace(/\\\n\s*/g, ' ');
  const stages: Instruction[][] = [];
  for (const line of joined.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#')) continue;
    const [, op, args] = /^(\S+)\s+(.*)$/.exec(line)!;
    if (op!.toUpperCase() === 'FROM') stages.push([]);
    stages.at(-1)!.push({ op: op!.toUpperCase(), args: args! });
  }
  return stages;
}

/** Exec form (`["a", "b"]`) as an array. */
const execForm = (args: string): string[] => JSON.parse(args.replace(/^--\S+\s+/g, '')) as string[];

/**
 * The subset of YAML docker-compose.yml is written in: nested block maps, `- item` lists, flow
 * arrays in JSON, comments. Enough to check its services without a YAML dependency.
 */
function readComposeYaml(text: string): Record<string, unknown> {
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
  let i = 0;
  const scalar = (v: string): unknown => (v.startsWith('[') ? JSON.parse(v) : v.replace(/^"(.*)"$/, '$1'));
  function block(indent: number): unknown {
    if (lines[i]?.text.startsWith('- ')) {
      const list: unknown[] = [];
      while (i < lines.length && lines[i]!.indent === indent && lines[i]!.text.startsWith('- ')) list.push(scalar(lines[i++]!.text.slice(2)));
      return list;
    }
    const map: Record<string, unknown> = {};
    while (i < lines.length && lines[i]!.indent === indent) {
      const [, key, value] = /^([^:]+):\s*(.*)$/.exec(lines[i++]!.text)!;
      map[key!] = value ? scalar(value) : i < lines.length && lines[i]!.indent > indent ? block(lines[i]!.indent) : null;
    }
    return map;
  }
  return block(0) as Record<string, unknown>;
}

/** A free TCP port on loopback. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

type Service = { build?: string; image?: string; command?: string[]; environment?: Record<string, string>; ports?: string[]; depends_on?: Record<string, { condition: string }> };

const stages = readDockerfile(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const compose = readComposeYaml(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
const last = (op: string) => runtime.filter((s) => s.op === op).at(-1)!;

describe('Dockerfile and docker-compose.yml', () => {
  it('build in stages, install production dependencies only, run as a non-root user, and check /healthz', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const user = last('USER').args;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    const runs = runtime.filter((s) => s.op === 'RUN').map((s) => s.args);
    expect(runs.some((r) => /npm ci\b.*--omit=dev/.test(r))).toBe(true);
    // Nothing is built in the runtime stage: the compiler and dev dependencies stay in the build stage.
    expect(runs.some((r) => /npm run build|tsc\b/.test(r))).toBe(false);
    const healthcheck = last('HEALTHCHECK').args;
    expect(healthcheck).toMatch(/CMD \[.*\/healthz/);
    expect(execForm(last('ENTRYPOINT').args)).toEqual(['node', '/app/dist/src/cli/main.js']);
  });

  it('compose runs serve and worker from the image beside pgvector Postgres, configured by environment', () => {
    const { postgres, serve, worker } = compose.services;
    expect(postgres!.image).toMatch(/^pgvector\/pgvector:/);
    expect(serve!.command).toEqual(execForm(last('CMD').args));
    expect(serve!.ports).toEqual(['8787:8787']);
    expect(worker!.command![0]).toBe('worker');
    for (const service of [serve!, worker!]) {
      expect(service.build).toBe('.');
      expect(service.image).toBe(serve!.image);
      expect(new URL(service.environment!.DATABASE_URL!).hostname).toBe('postgres');
      expect(Object.keys(service.environment!)).toEqual(expect.arrayContaining(['DATABASE_URL', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']));
      expect(service.depends_on!.postgres).toEqual({ condition: 'service_healthy' });
    }
    expect(Object.keys(serve!.environment!)).toContain('RAGLINE_API_KEYS');
  });

  const withPostgres = serverUrl ? it : it.skip;
  withPostgres('the runtime stage installs the packed package, starts serve (healthy) and worker as compose runs them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-docker-'));
    const db = await freshDatabase('postgres');
    try {
      // The build stage's output: the packed package, and the lock file.
      await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 64 << 20 });
      const tarball = path.join(dir, (await readdir(dir)).find((f) => f.endsWith('.tgz'))!);
      const app = path.join(dir, 'app');
      await mkdir(app);
      const fromBuild: Record<string, string> = { '/pkg/ragline.tgz': tarball, '/src/package-lock.json': path.join(root, 'package-lock.json') };
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
      // The runtime stage, instruction by instruction (WORKDIR /app is `app`).
      for (const { op, args } of runtime) {
        if (op === 'COPY') {
          const [, from, target] = /^--from=build\s+(\S+)\s+(\S+)$/.exec(args)!;
          await copyFile(fromBuild[from!]!, path.join(app, target!));
        } else if (op === 'RUN') {
          await run('sh', ['-c', args.replace(/^(--mount=\S+\s+)+/, '')], { cwd: app, env, maxBuffer: 64 << 20 });
        } else if (op === 'ENV') {
          for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
        }
      }
      // Production dependencies only: no compiler, no test runner.
      expect(hasPackage(path.join(app, 'node_modules', 'typescript'))).toBe(false);
      expect(hasPackage(path.join(app, 'node_modules', 'marked'))).toBe(true);

      const port = await freePort();
      const portOf = (args: string[]) => args.map((a) => a.replace('/app/', `${app}/`).replace('8787', String(port)));
      const key = 'docker-test-key-0123456789abcdef';
      const serveEnv = { ...env, DATABASE_URL: db.url!, RAGLINE_API_KEYS: key };
      const entry = portOf(execForm(last('ENTRYPOINT').args));
      const child = spawn(entry[0]!, [...entry.slice(1), ...portOf(execForm(last('CMD').args))], { env: serveEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      try {
        await waitFor(() => /Serving on http:\S+/.test(stderr) || child.exitCode !== null, { what: 'serve to start', timeoutMs: 60_000 });
        expect(stderr).toMatch(new RegExp(`Serving on http://0\\.0\\.0\\.0:${port}/`));
        // The image's HEALTHCHECK command, as Docker would run it in the container.
        const check = portOf(execForm(last('HEALTHCHECK').args.replace(/^(--\S+\s+)*CMD\s+/, '')));
        await run(check[0]!, check.slice(1), { env });
        expect((await fetch(`http://127.0.0.1:${port}/api/collections`)).status).toBe(401);
        expect((await fetch(`http://127.0.0.1:${port}/api/collections`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);

      // The compose file's worker command, on the same image and database.
      const worker = spawn(entry[0]!, [...entry.slice(1), ...compose.services.worker!.command!], { env: { ...env, DATABASE_URL: db.url! }, stdio: ['ignore', 'pipe', 'pipe'] });
      let workerErr = '';
      worker.stderr.on('data', (d: Buffer) => (workerErr += d.toString()));
      const workerExited = new Promise<number | null>((resolve) => worker.on('close', resolve));
      await waitFor(() => /^Worker \S+ on /m.test(workerErr) || worker.exitCode !== null, { what: 'the worker to start', timeoutMs: 60_000 });
      worker.kill('SIGTERM');
      expect(await workerExited).toBe(0);
      expect(workerErr).toMatch(/Worker \S+ stopped: 0 done/);
    } finally {
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

/** Whether `dir` holds an installed package. */
function hasPackage(dir: string): boolean {
  try {
    readFileSync(path.join(dir, 'package.json'));
    return true;
  } catch {
    return false;
  }
}
