/**
 * The CLI on odd terminals and its exit codes: the progress bar draws (or stays silent) whatever
 * width the terminal reports, and a usage mistake exits 2, an error 1.
 */
import path from 'node:path';
import { freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { packageRoot } from '../src/package-root.js';
import { runCli } from '../src/cli/program.js';
import type { CliIo, OutputSink } from '../src/cli/io.js';
import { createProgressBar, progressEnabled } from '../src/cli/progress.js';
import { runCliInProcess } from './support/cli.js';

/** A sink that says it is a terminal of `columns` columns, and collects what is written. */
function terminal(columns: number | undefined): OutputSink & { text: string } {
  const sink = { isTTY: true, columns, text: '', write: (t: string) => void (sink.text += t) };
  return sink;
}

describe('the progress bar', () => {
  test.each([0, 1, 5, undefined, Number.NaN, -3])('draws and clears without throwing on a terminal of %p columns', (columns) => {
    const sink = terminal(columns);
    const bar = createProgressBar('ingest', sink);
    expect(() => bar.update(3, 10, 'docs · http://example.com/a/very/long/page/name')).not.toThrow();
    expect(() => bar.stop()).not.toThrow();
    // Drawn in 80 columns when the terminal's own number is useless; never a line longer than that.
    for (const line of sink.text.split('\r')) expect(line.length).toBeLessThan(80);
    expect(sink.text).toContain('ingest [#######.................] 3/10');
  });

  test('stays silent off a terminal, on CI and on TERM=dumb', () => {
    expect(progressEnabled({ write: () => true })).toBe(false);
    expect(progressEnabled(terminal(120), { CI: 'true' })).toBe(false);
    expect(progressEnabled(terminal(120), { CI: '1' })).toBe(false);
    expect(progressEnabled(terminal(120), { TERM: 'dumb' })).toBe(false);
    expect(progressEnabled(terminal(120), { CI: 'false' })).toBe(true);
    const sink = terminal(120);
    const bar = createProgressBar('ingest', sink, { env: { CI: 'true' } });
    bar.update(1, 2, 'x');
    bar.stop();
    expect(sink.text).toBe('');
  });
});

describe('ingest on a terminal that reports 0 columns', () => {
  let database: Database & { drop(): Promise<void> };
  beforeAll(async () => {
    database = await freshDatabase('pglite');
  });
  afterAll(async () => {
    await database?.drop();
  });

  test('finishes and prints its summary', async () => {
    const stderr = terminal(0);
    let stdout = '';
    const io: CliIo = { stdout: { write: (t: string) => (stdout += t) }, stderr, env: {}, database };
    const code = await runCli(['ingest', path.join(packageRoot(), 'demo-site', 'faq'), '--collection', 'tty'], io);
    expect([code, stdout]).toEqual([0, '']);
    expect(stderr.text).toMatch(/Ingested \d+ documents into "tty"/);
  });

  test('an error once the command runs exits 1, not 2', async () => {
    const r = await runCliInProcess(['ingest', '/no/such/folder'], { database });
    expect(r.code).toBe(1);
  });
});

describe('exit codes', () => {
  test('a usage mistake exits 2: unknown command, unknown flag, missing argument, bad flag value', async () => {
    for (const args of [['frobnicate'], ['search', 'x', '--no-such-flag'], ['search'], ['search', 'x', '-k', 'zero'], ['jobs', 'list', '--state', 'stuck']]) {
      const r = await runCliInProcess(args);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).not.toBe('');
    }
  });

  test('--help and --version exit 0; the help lists the exit codes', async () => {
    const help = await runCliInProcess(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Exit codes:\n\s+0\s+done\n\s+1\s+error.*\n\s+2\s+usage.*\n\s+130\s+interrupted/);
    expect((await runCliInProcess(['--version'])).code).toBe(0);
  });
});
