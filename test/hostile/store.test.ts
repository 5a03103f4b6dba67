/**
 * The store under hostile conditions: the embedded database's lock raced by many real processes
 * (the built `dist/` module, one Node process each).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { link, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/package-root.js';
import { acquireLock } from '../../src/store/lock.js';

const lockModule = pathToFileURL(path.join(packageRoot(), 'dist', 'src', 'store', 'lock.js')).href;

/** A racer: takes the lock on `{"go": dir}`, releases it on `{"release": true}`, one line of JSON out per command. */
const racerScript = `
import { acquireLock } from ${JSON.stringify(lockModule)};
import readline from 'node:readline';
let held;
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const command = JSON.parse(line);
  if (command.go) {
    try {
      held = await acquireLock(command.go);
      console.log(JSON.stringify({ won: true }));
    } catch (err) {
      console.log(JSON.stringify({ won: false, message: err.message }));
    }
  } else {
    await held?.release();
    held = undefined;
    console.log(JSON.stringify({ released: true }));
  }
});
console.log(JSON.stringify({ ready: true }));
`;

interface Racer {
  child: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  send(command: unknown): void;
}

function startRacer(): Racer {
  const child = spawn(process.execPath, ['--input-type=module', '-e', racerScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  let buffer = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  return {
    child,
    next: () =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`racer ${child.pid} did not answer`)), 20_000);
        const take = (line: string) => {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        };
        const line = lines.shift();
        if (line !== undefined) take(line);
        else waiting.push(take);
      }),
    send: (command) => void child.stdin!.write(`${JSON.stringify(command)}\n`),
  };
}

describe('the embedded database lock', () => {
  const racers: Racer[] = [];
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ragline-lock-'));
    for (let i = 0; i < 20; i++) racers.push(startRacer());
    for (const r of racers) expect(await r.next()).toEqual({ ready: true });
  }, 60_000);
  afterAll(async () => {
    for (const r of racers) r.child.kill();
    await rm(root, { recursive: true, force: true });
  });

  /** All racers try at once; returns how many won and what the others were told. */
  async function race(dir: string): Promise<{ winners: number; messages: unknown[] }> {
    for (const r of racers) r.send({ go: dir });
    const results = await Promise.all(racers.map((r) => r.next()));
    for (const r of racers) r.send({ release: true });
    for (const r of racers) expect(await r.next()).toEqual({ released: true });
    return { winners: results.filter((r) => r.won === true).length, messages: results.filter((r) => r.won === false).map((r) => r.message) };
  }

  test('exactly one of 20 processes started at once takes it, on a fresh folder and over a stale lock', async () => {
    const wins: number[] = [];
    const messages: unknown[] = [];
    for (let round = 0; round < 20; round++) {
      const dir = path.join(root, 'race', `round-${round}`);
      // Even rounds: a fresh folder; odd rounds: a lock left by a process that no longer runs
      // (as older versions wrote it, or as this one does).
      if (round % 2 === 1) {
        await mkdir(dir, { recursive: true });
        await writeFile(path.join(dir, 'ragline.lock'), round % 4 === 1 ? '999999999' : '999999999\nleft-over\n');
      }
      const result = await race(dir);
      wins.push(result.winners);
      messages.push(...result.messages);
      // Released by its holder, the lock is gone, and no racer left a file behind but the claim
      // on the stale lock taken over (so no one takes that one over twice).
      expect(await readdir(dir)).toEqual(round % 2 === 1 ? [expect.stringMatching(/^ragline\.lock\.[0-9a-f]{32}\.taken$/)] : []);
    }
    expect(wins).toEqual(Array(20).fill(1));
    // Every other one was told who holds it.
    expect(messages).toEqual(Array(20 * 19).fill(expect.stringMatching(/is in use by process \d+: wait for it to finish/)));
  }, 60_000);

  test('release leaves a lock that another process has taken since', async () => {
    const dir = path.join(root, 'release');
    await mkdir(dir);
    const file = path.join(dir, 'ragline.lock');
    const lock = await acquireLock(dir);
    // Someone removed it by hand and another process took it: its lock is not ours to remove.
    await rename(file, path.join(dir, 'mine'));
    const other = path.join(dir, 'other');
    await writeFile(other, `${racers[0]!.child.pid}\nanother-token\n`);
    await link(other, file);
    await lock.release();
    expect(await readFile(file, 'utf8')).toBe(`${racers[0]!.child.pid}\nanother-token\n`);
  });

  test('a second open in the same process is refused, and the first keeps its lock', async () => {
    const dir = path.join(root, 'twice');
    await mkdir(dir);
    const lock = await acquireLock(dir);
    await expect(acquireLock(dir)).rejects.toThrow(/is already open in this process: close it first/);
    await lock.release();
    const again = await acquireLock(dir);
    await again.release();
    expect(await readdir(dir)).toEqual([]);
  });
});
