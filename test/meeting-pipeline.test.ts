/**
 * The meeting-minutes pipeline end to end: transcripts in; minutes as Markdown, JSON, DOCX and the
 * transcript as txt/srt/vtt out; the meeting stored as passages a question can cite by time — on
 * both stores, through the OpenAI stand-in, and through the CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { structuredRespond } from './stand-in/structured.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import { createExtractiveChat } from '../src/models/local/extractive-chat.js';
import { meetingMinutes, readTranscript } from '../src/index.js';
import { ask, search } from '../src/index.js';
import { parseTranscript } from '../src/meetings/parse-transcript.js';
import { formatClock, parseClock } from '../src/meetings/transcript.js';
import { toSrt, toTxt, toVtt } from '../src/meetings/write-transcript.js';
import { minutesDocx, minutesJson, minutesMarkdown, type MeetingRecord } from '../src/meetings/render-minutes.js';
import { parseFormats, planOutputs } from '../src/meetings/write-outputs.js';
import { extractiveMinutes } from '../src/meetings/extractive-minutes.js';
import { resolveTemplate } from '../src/meetings/templates.js';
import { COUNCIL_SCHEMA } from '../src/meetings/template-schemas.js';
import type { Database } from '../src/store/database.js';
import { ConfigError, InputError } from '../src/errors.js';
import { runCliInProcess } from './support/cli.js';
import { unzip } from './support/zip.js';
import { corpusPath } from './support/corpora.js';

const fixtures = path.join(packageRoot(), 'test/fixtures/transcripts');
const fixture = (name: string) => path.join(fixtures, name);
const corpora = corpusPath('transcripts');

function record(): MeetingRecord {
  const transcript = parseTranscript(readFileSync(fixture('teams-budget.vtt'), 'utf8'));
  return { title: 'Q3 budget review', source: 'file:///meetings/teams-budget.vtt', transcript, minutes: extractiveMinutes(transcript), layout: resolveTemplate('general').layout, generator: 'local/extractive-minutes-v1', createdAt: new Date('2026-01-02T03:04:05Z') };
}

describe('outputs', () => {
  test('Markdown has a heading per section and the action items with owner, due date and time', () => {
    const md = minutesMarkdown(record());
    expect(md.split('\n').filter((l) => l.startsWith('## '))).toEqual(['## Abstract Summary', '## Key Points', '## Decisions', '## Action Items', '## Sentiment', '## Transcript']);
    expect(md).toContain('| Task | Owner | Due | Time |\n| --- | --- | --- | --- |\n| I will send the revised forecast to finance by Friday. | Aisha Khan | Friday | [00:00:33](#t-00-00-33) |');
    // An item's time links to the turn it was said in.
    expect(md).toContain('| Someone needs to check the contract with the Berlin venue for a refund. | — | — | [00:00:41](#t-00-00-33) |');
    expect(md).toContain('## Sentiment\n\npositive — Word count (offline estimate)');
    expect(md).toContain('<a id="t-00-00-33"></a>\\[00:00:33\\] Aisha Khan: I will send');
  });

  test('JSON has the minutes fields and the transcript segments in seconds', () => {
    const json = JSON.parse(minutesJson(record())) as Record<string, unknown>;
    for (const key of ['abstract_summary', 'key_points', 'decisions', 'action_items', 'sentiment', 'segments']) expect(json).toHaveProperty(key);
    expect((json.segments as unknown[])[0]).toEqual({ start: 3.12, end: 7.48, speaker: 'Priya Raman', text: "Good morning everyone, let's start with the Q3 budget review." });
    expect(json.duration).toBe(62);
  });

  test('DOCX is a Word document with the title and a heading per section, as in the tutorial', async () => {
    const docx = await minutesDocx(record());
    const xml = unzip(docx).get('word/document.xml')!;
    const headings = [...xml.matchAll(/<w:pStyle w:val="(Title|Heading1)"\/>.*?<w:t[^>]*>([^<]*)<\/w:t>/g)].map((m) => `${m[1]}: ${m[2]}`);
    expect(headings).toEqual(['Title: Q3 budget review', 'Heading1: Abstract Summary', 'Heading1: Key Points', 'Heading1: Decisions', 'Heading1: Action Items', 'Heading1: Sentiment', 'Heading1: Transcript']);
    expect(xml).toContain('We decided to cap advertising at 20 thousand a month starting in October.');
  });

  test('the transcript written as vtt and srt reads back the same, speakers and times included', () => {
    const { transcript } = record();
    const strip = (segs: typeof transcript.segments) => segs.map(({ start, end, speaker, text }) => ({ start, end, speaker, text }));
    expect(strip(parseTranscript(toVtt(transcript.segments)).segments)).toEqual(strip(transcript.segments));
    expect(strip(parseTranscript(toSrt(transcript.segments)).segments)).toEqual(strip(transcript.segments));
    expect(toTxt(transcript.segments).split('\n')[0]).toBe("[00:00:03] Priya Raman: Good morning everyone, let's start with the Q3 budget review.");
    const oakland = parseTranscript(readFileSync(fixture('oakland-excerpt.vtt'), 'utf8'));
    expect(parseTranscript(toVtt(oakland.segments)).segments.filter((s) => s.speakerChange)).toHaveLength(oakland.segments.filter((s) => s.speakerChange).length);
  });

  test('--out names a file or a folder; formats and files must agree; the input is never overwritten', () => {
    expect(planOutputs({ input: 'a/standup.vtt', out: 'minutes.docx' })).toEqual([{ format: 'docx', path: path.resolve('minutes.docx') }]);
    expect(planOutputs({ input: 'a/standup.vtt', out: 'out/', formats: ['md', 'json'] }).map((p) => p.path)).toEqual([path.resolve('out/standup.md'), path.resolve('out/standup.json')]);
    expect(planOutputs({ input: 'a/standup.vtt', out: 'a', formats: ['vtt'] })[0]!.path).toBe(path.resolve('a/standup.transcript.vtt'));
    expect(() => planOutputs({ input: 'x.vtt', out: 'minutes.md', formats: ['md', 'json'] })).toThrow(ConfigError);
    expect(() => parseFormats('md,pdf')).toThrow('Unknown format "pdf": use md, json, docx, html, txt, srt, vtt');
    expect(parseFormats('MD, .json')).toEqual(['md', 'json']);
  });
});

describe('reading inputs', () => {
  test('a missing file, an unknown extension and an empty transcript are clear errors', async () => {
    await expect(readTranscript('/nonexistent/meeting.vtt')).rejects.toThrow('No such file: /nonexistent/meeting.vtt.');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-inputs-'));
    try {
      await writeFile(path.join(dir, 'notes.pdf'), 'x');
      await expect(readTranscript(path.join(dir, 'notes.pdf'))).rejects.toThrow(/give a transcript \(\.vtt, \.srt, \.txt\) or audio/);
      await writeFile(path.join(dir, 'empty.vtt'), 'WEBVTT\n\n');
      await expect(readTranscript(path.join(dir, 'empty.vtt'))).rejects.toThrow(InputError);
      await writeFile(path.join(dir, 'talk.mp3'), Buffer.from([0xff, 0xfb, 0x90, 0x00]));
      await expect(readTranscript(path.join(dir, 'talk.mp3'))).rejects.toThrow(/is audio: transcribing it needs OPENAI_API_KEY or OPENAI_BASE_URL/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeEachDatabase('meeting pipeline', (backend) => {
  let db: Database & { drop(): Promise<void> };
  let standIn: OpenAIStandIn;
  const connection = () => ({ apiKey: 'test', baseURL: standIn.url, maxRetries: 0 });

  beforeAll(async () => {
    [db, standIn] = await Promise.all([freshDatabase(backend), startOpenAIStandIn({ respond: structuredRespond() })]);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), standIn?.close()]);
  });

  test('minutes through the API and the meeting stored as passages with speakers and times', async () => {
    const result = await meetingMinutes({
      input: fixture('zoom-standup.vtt'),
      title: 'Daily standup',
      chat: createOpenAIChat({ ...connection(), model: 'gpt-4o-mini' }),
      template: 'standup',
      db,
      embedding: createOpenAIEmbedding(connection()),
    });
    expect(result.record.generator).toBe('openai/gpt-4o-mini');
    expect(result.stats.calls).toBe(1);
    expect(result.ingest).toMatchObject({ collection: 'meetings', stored: result.ingest!.passages, removed: 0 });
    const { rows } = await db.pool.query<{ source: string; title: string; metadata: Record<string, unknown> }>(
      `SELECT d.source, d.title, k.metadata FROM chunks k JOIN documents d ON d.id = k.document_id ORDER BY k.id`,
    );
    expect(rows[0]!.source).toMatch(/^file:\/\/.*zoom-standup\.vtt#t=1$/);
    expect(rows[0]!.title).toBe('Daily standup at 00:00:01');
    expect(rows[0]!.metadata).toMatchObject({ meetingTitle: 'Daily standup', start: 1.5, time: '00:00:01', speakers: expect.arrayContaining(['Lena Fischer', 'Marco Rossi']) });
  });

  test('a question over the meetings collection cites the meeting and the time', async () => {
    const transcript = await readTranscript(fixture('oakland-excerpt.vtt'));
    await meetingMinutes({ input: fixture('oakland-excerpt.vtt'), title: 'Oakland council', db, embedding: createLexicalEmbedding(), collection: 'council' });
    const results = await search({ db, collection: 'council', query: 'councilmember kalb roll call', k: 3 });
    expect(results[0]!.title).toMatch(/^Oakland council at \d\d:\d\d:\d\d$/);
    expect(results[0]!.url).toMatch(/#t=\d+$/);
    const answer = await ask({ db, collection: 'council', question: 'Who is excused from the meeting?', chat: createExtractiveChat() });
    const cited = answer.sources.find((s) => s.cited)!;
    const seconds = Number(/#t=(\d+)$/.exec(cited.url)![1]);
    // The title says the time the URL points at, and the passage from there says who is excused.
    expect(cited.title).toBe(`Oakland council at ${formatClock(seconds)}`);
    expect(seconds).toBeGreaterThanOrEqual(Math.floor(transcript.segments[0]!.start));
    const line = cited.passages.join('\n').split('\n').find((l) => /excused/.test(l))!;
    expect(parseClock(/^\[([\d:]+)\]/.exec(line)![1]!)!).toBeGreaterThanOrEqual(seconds);
  });

  test('storing the same meeting again changes nothing; a re-cut meeting leaves no stale passages', async () => {
    const embedding = createLexicalEmbedding();
    const again = await meetingMinutes({ input: fixture('oakland-excerpt.vtt'), title: 'Oakland council', db, embedding, collection: 'council' });
    expect(again.ingest).toMatchObject({ stored: 0, removed: 0 });
    const { ingestMeeting } = await import('../src/index.js');
    const transcript = await readTranscript(fixture('oakland-excerpt.vtt'));
    const url = again.record.source;
    const recut = await ingestMeeting({ db, embedding, transcript, url, title: 'Oakland council', collection: 'council', passageTokens: 80 });
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM documents d JOIN collections c ON c.id = d.collection_id WHERE c.name = 'council'`);
    expect(rows[0]!.n).toBe(recut.passages);
    expect(recut.removed).toBeGreaterThan(0);
  });
});

describe('ragline minutes (the CLI)', () => {
  let dir: string;
  let standIn: OpenAIStandIn;
  let database: Database & { drop(): Promise<void> };
  const run = (args: string[], env: NodeJS.ProcessEnv) => runCliInProcess(args, { cwd: dir, env, database });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-minutes-cli-'));
    [standIn, database] = await Promise.all([startOpenAIStandIn({ respond: structuredRespond() }), freshDatabase('pglite')]);
  });
  afterAll(async () => {
    await Promise.all([standIn?.close(), database?.drop()]);
    await rm(dir, { recursive: true, force: true });
  });

  test('offline: writes the formats asked for into a folder, then ask cites the meeting at a time', async () => {
    const made = await run(['minutes', fixture('teams-budget.vtt'), '--out', 'out', '--format', 'md,json,docx,vtt', '--title', 'Q3 budget review'], {});
    expect(made.stderr).toContain('minutes: local/extractive');
    expect(made.code).toBe(0);
    expect((await readdir(path.join(dir, 'out'))).sort()).toEqual(['teams-budget.docx', 'teams-budget.json', 'teams-budget.md', 'teams-budget.vtt']);
    expect(await readFile(path.join(dir, 'out', 'teams-budget.md'), 'utf8')).toContain('## Action Items');
    const asked = await run(['ask', 'What', 'did', 'we', 'decide', 'about', 'advertising?', '--collection', 'meetings'], {});
    expect(asked.code).toBe(0);
    expect(asked.stdout).toMatch(/\[1\] Q3 budget review at 00:00:\d\d/);
  });

  test('an unknown template is one clear line and exit code 1', async () => {
    const r = await run(['minutes', fixture('zoom-standup.vtt'), '--template', 'weekly', '--no-store'], {});
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('ragline: Unknown template "weekly": use one of general, council, board, standup, retro, one-on-one, interview, or the path of a template file (JSON, or text of instructions).');
  });

  test('--template council: attendees, agenda items, motions with mover and result, decisions and action items; the transcript in turns', async () => {
    const input = fixture('oakland-motion.vtt');
    const r = await run(['minutes', input, '--template', 'council', '--format', 'md,json,docx,txt,html', '--out', 'council', '--no-store'], {});
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/council template\): 2 agenda items, 1 motions, 1 decisions, 0 action items/);
    const json = JSON.parse(await readFile(path.join(dir, 'council', 'oakland-motion.json'), 'utf8')) as Record<string, unknown>;
    for (const key of ['meeting', 'attendees', 'agenda_items', 'motions', 'decisions', 'action_items', 'public_comment', 'adjourned_at']) expect(json).toHaveProperty(key);
    expect(json).not.toHaveProperty('sentiment');
    expect(json.motions).toEqual([expect.objectContaining({ mover: 'Gallo', seconder: 'Kalb', result: 'carried', timestamp: '00:13:49' })]);
    const md = await readFile(path.join(dir, 'council', 'oakland-motion.md'), 'utf8');
    expect(md).toContain('## Motions');
    const txt = (await readFile(path.join(dir, 'council', 'oakland-motion.txt'), 'utf8')).trim().split('\n');
    const cues = (readFileSync(input, 'utf8').match(/-->/g) ?? []).length;
    expect(txt.length).toBeLessThan(cues / 3);
    expect(txt).toContain('[00:13:49] >> I make a motion to approve the consent calendar.');
    expect(await readFile(path.join(dir, 'council', 'oakland-motion.html'), 'utf8')).toContain('<h2>Motions</h2>');
  });

  test('a template file is found in the folder the command runs in, and its layout shapes the Markdown', async () => {
    const template = { name: 'votes-only', instructions: 'Only the votes.', schema: { type: 'object', properties: { motions: (COUNCIL_SCHEMA.properties as Record<string, unknown>).motions } }, layout: [{ field: 'motions', title: 'Votes' }] };
    await writeFile(path.join(dir, 'votes-only.json'), JSON.stringify(template));
    const r = await run(['minutes', fixture('oakland-motion.vtt'), '--template', 'votes-only.json', '--format', 'md', '--out', 'votes', '--no-store'], {});
    expect(r.code).toBe(0);
    const md = await readFile(path.join(dir, 'votes', 'oakland-motion.md'), 'utf8');
    expect(md.split('\n').filter((l) => l.startsWith('## '))).toEqual(['## Votes', '## Transcript']);
    expect(md).toContain('| I make a motion to approve the consent calendar | Gallo | Kalb |');
  });

  test('another template, another structure; --speakers names the voices for the model', async () => {
    standIn.requests.length = 0;
    const r = await run(['minutes', fixture('zoom-standup.vtt'), '--template', 'standup', '--format', 'json', '--out', 'standup', '--no-store', '--speakers', 'Lena Fischer, Marco Rossi,Sam Lee'], { OPENAI_BASE_URL: standIn.url, OPENAI_API_KEY: 'test' });
    expect(r.code).toBe(0);
    const json = JSON.parse(await readFile(path.join(dir, 'standup', 'zoom-standup.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json).filter((k) => !['title', 'source', 'created_at', 'generator', 'template', 'duration', 'timing', 'segments'].includes(k))).toEqual(['abstract_summary', 'updates', 'action_items']);
    const system = (standIn.requests.find((q) => q.path === '/v1/chat/completions')!.body as { messages: Array<{ content: string }> }).messages[0]!.content;
    expect(system).toContain('as the clerk named them: Lena Fischer, Marco Rossi, Sam Lee.');
  });

  const haveCorpora = existsSync(corpora);
  (haveCorpora ? test : test.skip)(`the 73-minute Boston captions become md, json and docx through the stand-in with an 8k-window model${haveCorpora ? '' : ' — skipped: ../shared/corpora is absent'}`, async () => {
    standIn.requests.length = 0;
    const r = await run(
      ['minutes', path.join(corpora, 'boston_city_council_captions.vtt'), '--out', 'boston', '--format', 'md,json,docx', '--chat-model', 'gpt-4', '--template', 'board', '--title', 'Boston City Council', '--json'],
      { OPENAI_BASE_URL: standIn.url, OPENAI_API_KEY: 'test' },
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { stats: { chunks: number; calls: number }; segments: number };
    expect(summary.stats.chunks).toBeGreaterThan(1);
    expect(standIn.requests.every((q) => q.status === 200)).toBe(true);
    expect(standIn.requests.filter((q) => q.path === '/v1/chat/completions')).toHaveLength(summary.stats.calls);
    const json = JSON.parse(await readFile(path.join(dir, 'boston', 'boston_city_council_captions.json'), 'utf8')) as { segments: unknown[] };
    expect(json.segments).toHaveLength(summary.segments);
  });

  (haveCorpora ? test : test.skip)(`offline, --template council on the Boston captions: motions in a Motions table, a transcript in turns${haveCorpora ? '' : ' — skipped: ../shared/corpora is absent'}`, async () => {
    const input = path.join(corpora, 'boston_city_council_captions.vtt');
    const r = await run(['minutes', input, '--out', 'boston-council', '--format', 'md,json,docx,txt', '--template', 'council', '--no-store'], {});
    expect(r.code).toBe(0);
    const json = JSON.parse(await readFile(path.join(dir, 'boston-council', 'boston_city_council_captions.json'), 'utf8')) as { motions: Array<{ mover: string | null; result: string | null }>; segments: unknown[] };
    for (const key of ['attendees', 'agenda_items', 'motions', 'decisions', 'action_items']) expect(json).toHaveProperty(key);
    // 21 votes read by hand (test/fixtures/minutes-eval/expected-motions.json).
    expect(json.motions).toHaveLength(21);
    expect(json.motions.filter((m) => m.result === 'carried').length).toBeGreaterThanOrEqual(20);
    expect(await readFile(path.join(dir, 'boston-council', 'boston_city_council_captions.md'), 'utf8')).toMatch(/## Motions\n\n\| Text \| Mover \|/);
    const lines = (await readFile(path.join(dir, 'boston-council', 'boston_city_council_captions.txt'), 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThan(json.segments.length / 5);
  });
});
