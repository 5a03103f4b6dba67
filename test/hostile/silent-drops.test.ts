/**
 * Nothing is lost in silence (issue 16.8): files a folder ingest cannot read — too large, of an
 * unsupported type, unreadable — are counted in the summary by reason and named in the CLI's
 * summary line; captions cues that cannot be parsed are counted and the lines named in a warning.
 */
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase } from '../support/databases.js';
import { wordHashEmbedding } from '../support/custom-models.js';
import { ingest, type Database } from '../../src/index.js';
import { summaryLine } from '../../src/cli/ingest-command.js';
import { parseTranscript } from '../../src/meetings/parse-transcript.js';
import { runCliInProcess } from '../support/cli.js';

describe('a folder ingest counts every file it drops', () => {
  let db: Database & { drop(): Promise<void> };
  let dir: string;

  beforeAll(async () => {
    db = await freshDatabase('pglite');
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-drops-'));
    await writeFile(path.join(dir, 'a.md'), '# Kept\n\nThis page is read and stored.');
    await writeFile(path.join(dir, 'big.txt'), 'x'.repeat(10 * 1024 * 1024 + 1));
    await writeFile(path.join(dir, 'slides.pptx'), 'not a format ragline reads');
    await writeFile(path.join(dir, 'data.bin'), 'nor this');
    await symlink(path.join(dir, 'gone.md'), path.join(dir, 'broken.md'));
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the summary counts too-large, unsupported and unreadable files by reason', async () => {
    const summary = await ingest({ db, source: dir, collection: 'drops', embedding: wordHashEmbedding() });
    expect(summary.documents).toBe(1);
    expect(summary.skipped).toEqual({ 'too-large': 1, 'unsupported-type': 2, unreadable: 1 });
  });

  test('a dry run counts the same drops', async () => {
    const summary = await ingest({ db, source: dir, collection: 'drops-dry', embedding: wordHashEmbedding(), dryRun: true });
    expect(summary.skipped).toEqual({ 'too-large': 1, 'unsupported-type': 2, unreadable: 1 });
  });

  test('the summary line of a folder ingest names the skipped files by reason in words, and lists each', async () => {
    const summary = await ingest({ db, source: dir, collection: 'drops-line', embedding: wordHashEmbedding() });
    expect(summaryLine(summary)).toContain('· 4 files skipped: 2 unsupported file type, 1 too large, 1 unreadable');
    expect(summary.skippedItems!.map((i) => i.reason).sort()).toEqual(['too-large', 'unreadable', 'unsupported-type', 'unsupported-type']);
    expect(summary.skippedItems!.every((i) => i.url.startsWith('file://'))).toBe(true);
  });

  const root = process.getuid?.() === 0;
  (root ? test.skip : test)(`a file without read permission is counted as unreadable${root ? ' — skipped: root reads every file' : ''}`, async () => {
    const locked = await mkdtemp(path.join(os.tmpdir(), 'ragline-locked-'));
    await writeFile(path.join(locked, 'secret.md'), '# Secret');
    await writeFile(path.join(locked, 'open.md'), '# Open\n\nReadable text.');
    await chmod(path.join(locked, 'secret.md'), 0o000);
    try {
      const summary = await ingest({ db, source: locked, collection: 'drops-locked', embedding: wordHashEmbedding() });
      expect(summary.skipped).toEqual({ unreadable: 1 });
    } finally {
      await rm(locked, { recursive: true, force: true });
    }
  });
});

describe('a malformed caption file names the lines it skipped', () => {
  const vtt = [
    'WEBVTT',
    '',
    '00:00:01.000 --> 00:00:03.000',
    '<v Ana>We start with the budget.',
    '',
    '00:00:04.000 -> 00:00:06.000',
    '<v Ben>The arrow is broken here.',
    '',
    'a stray line',
    'another stray line',
    '00:00:07.000 --> 00:00:09.000',
    '<v Ana>The timing is on the third line.',
    '',
    '00:00:10,000 --> 00:99:12,000',
    '<v Ben>Minutes past 59.',
    '',
  ].join('\n');

  test('the parse result warns about each skipped block with its line number', () => {
    const t = parseTranscript(vtt, { source: 'bad.vtt' });
    expect(t.segments).toHaveLength(1);
    expect(t.warnings).toEqual([expect.stringMatching(/bad\.vtt: skipped 3 of 4 cues .*lines 6, 9, 14/)]);
  });

  test('ragline minutes prints the warning and still makes the minutes of the cue it could read', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-bad-vtt-'));
    try {
      await writeFile(path.join(dir, 'bad.vtt'), vtt);
      const r = await runCliInProcess(['minutes', 'bad.vtt', '--no-store', '--out', 'out'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/Warning: .*bad\.vtt: skipped 3 of 4 cues .*at lines 6, 9, 14\./);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a well-formed file has no warnings', () => {
    const t = parseTranscript('WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nHello.\n\nNOTE a note\n\n00:00:04.000 --> 00:00:05.000\nBye.\n');
    expect(t.segments).toHaveLength(2);
    expect(t.warnings ?? []).toEqual([]);
  });
});
