/**
 * The embedded store on a full disk: the built bin, its data folder on a small tmpfs (mounted by
 * the test, so run as root; elsewhere these tests are skipped, saying so). However the disk fills
 * up — while the database is created, or mid-ingest — the run ends with one line naming the cause
 * and a non-zero exit code, in bounded time.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync, rmdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../support/seeded-random.js';
import { startCli, type CliRun } from '../support/cli.js';

function mount(dir: string, size: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]).status === 0;
}
function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

/** Whether this process may mount a tmpfs (root, and a kernel that lets it). */
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(path.join(os.tmpdir(), 'ragline-tmpfs-probe-'));
  const ok = mount(probe, '1m');
  if (ok) unmount(probe);
  rmdirSync(probe);
  return ok;
})();
if (!canMount) console.warn('test/hostile/disk-full.test.ts: skipped, a tmpfs cannot be mounted here (needs root)');

/** Run the bin with its data folder in `dataDir`; killed (and failing the test) after `timeoutMs`. */
async function runBounded(args: string[], dataDir: string, timeoutMs: number): Promise<CliRun> {
  const { child, done } = startCli(args, { env: { RAGLINE_DATA_DIR: dataDir } });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

(canMount ? describe : describe.skip)('a full disk under the embedded database', () => {
  let root: string;
  let docs: string;
  const mounts: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'ragline-disk-full-'));
    // 300 files of ~36 kB of varied words: far more chunks than a few spare MB hold.
    docs = path.join(root, 'docs');
    await mkdir(docs);
    const random = seededRandom(16);
    const letters = 'abcdefghijklmnop';
    const words = Array.from({ length: 5000 }, () => Array.from({ length: 3 + Math.floor(random() * 7) }, () => letters[Math.floor(random() * 16)]).join(''));
    const paragraph = () => Array.from({ length: 120 }, () => words[Math.floor(random() * words.length)]).join(' ');
    for (let i = 0; i < 300; i++) {
      await writeFile(path.join(docs, `doc${i}.md`), `# Doc ${i}\n\n${Array.from({ length: 40 }, paragraph).join('\n\n')}`);
    }
  });
  afterAll(async () => {
    for (const m of mounts) unmount(m);
    await rm(root, { recursive: true, force: true });
  });

  async function smallDisk(name: string, size: string): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(dir);
    expect(mount(dir, size)).toBe(true);
    mounts.push(dir);
    return path.join(dir, 'db');
  }

  test('too full to create the database: one line naming the cause, exit code 1', async () => {
    const r = await runBounded(['collections'], await smallDisk('tiny', '20m'), 90_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ragline: Cannot open the embedded database in .*: no space left on device \(ENOSPC\)/)]);
  }, 100_000);

  test('full mid-ingest: the run stops with one line saying the disk is full (or the store stopped answering), exit code 1', async () => {
    const r = await runBounded(['ingest', docs, '-c', 'full'], await smallDisk('small', '48m'), 150_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    const last = r.stderr.trim().split('\n').at(-1);
    // Postgres says so (SQLSTATE 53100) when a write needs more room; PGlite's file system may stop answering instead.
    expect(last).toMatch(/^ragline: (stopped with work pending: the store stopped answering \(disk full\?\)|Writing to the store failed: .*no space left on device: free space on that disk)/i);
  }, 160_000);
});
