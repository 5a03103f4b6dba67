/**
 * Minutes a clerk can file: templates that are schemas (the reply's shape, the JSON keys, the
 * sections), grounded motions and items (times linked to the transcript; owners, movers and tallies
 * null unless said), motions and votes found offline, public comment kept out of action items,
 * transcripts in speaker turns, and the outputs (Markdown and DOCX tables, HTML escaped).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { structuredRespond } from './stand-in/structured.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { parseTranscript } from '../src/meetings/parse-transcript.js';
import { generateMinutes } from '../src/meetings/generate-minutes.js';
import { extractiveMinutes } from '../src/meetings/extractive-minutes.js';
import { itemsOf, type ActionItem, type Motion } from '../src/meetings/minutes.js';
import { resolveTemplate } from '../src/meetings/templates.js';
import { COUNCIL_SCHEMA } from '../src/meetings/template-schemas.js';
import { speakerTurns } from '../src/meetings/transcript-turns.js';
import { findMotions } from '../src/meetings/extractive-council.js';
import { transcriptLines } from '../src/meetings/transcript-lines.js';
import { minutesDocx, minutesHtml, minutesMarkdown, type MeetingRecord } from '../src/meetings/render-minutes.js';
import { ConfigError } from '../src/errors.js';
import { createOpenAITranscription } from '../src/models/openai/transcription.js';
import { transcribeAudio } from '../src/meetings/transcribe-audio.js';
import type { Transcript } from '../src/meetings/transcript.js';
import { unzip } from './support/zip.js';

const fixture = (name: string) => parseTranscript(readFileSync(path.join(packageRoot(), 'test/fixtures/transcripts', name), 'utf8'));
type Body = { messages: Array<{ role: string; content: string }>; response_format?: { json_schema: { name: string; schema: { properties: Record<string, unknown> } } } };

/** A council meeting written for these tests: roll call, a motion with a roll-call vote, public comment, a voice vote. */
const COUNCIL_VTT = `WEBVTT

00:00:01.000 --> 00:00:05.000
Chair: The meeting will come to order. Will the clerk call the roll?

00:00:05.500 --> 00:00:07.000
Clerk: Member Ortiz?

00:00:07.200 --> 00:00:08.000
Ortiz: Present.

00:00:08.200 --> 00:00:09.000
Clerk: Member Chen?

00:00:09.200 --> 00:00:10.000
Chen: Here.

00:00:10.200 --> 00:00:12.000
Clerk: Member Patel is excused.

00:00:20.000 --> 00:00:26.000
Chair: We will now open public comment.

00:00:27.000 --> 00:00:33.000
Resident: I will send you my petition and you need to fix the potholes on Elm Street by Friday.

00:00:34.000 --> 00:00:38.000
Chair: Thank you. Seeing no more speakers, we close public comment and go to item 1.

00:00:40.000 --> 00:00:46.000
Ortiz: I make a motion to approve the library renovation contract.

00:00:46.500 --> 00:00:48.000
Chen: Seconded.

00:00:48.500 --> 00:00:51.000
Chair: Clerk, please call the roll.

00:00:51.500 --> 00:00:52.000
Ortiz: Yes.

00:00:52.500 --> 00:00:53.000
Chen: Yes.

00:00:53.500 --> 00:00:58.000
Chair: The motion carries with two ayes and one excused. The clerk will publish the contract by March 3.

00:01:00.000 --> 00:01:06.000
Chair: Motion to adjourn. All in favor? Aye. The ayes have it. The meeting is adjourned.
`;

const record = (transcript: Transcript, template = 'council'): MeetingRecord => {
  const t = resolveTemplate(template);
  return { title: 'Council <b>&</b> "friends"', source: 'file:///x.vtt', transcript, minutes: extractiveMinutes(transcript, { schema: t.schema }), template: t.name, layout: t.layout, generator: 'local/extractive-minutes-v1', createdAt: new Date('2026-01-02T03:04:05Z') };
};

describe('offline motions, votes and the record', () => {
  const council = parseTranscript(COUNCIL_VTT);
  const m = extractiveMinutes(council, { schema: COUNCIL_SCHEMA });

  test('a motion carries its mover, seconder, roll-call tally, result and time; a voice vote has no tally', () => {
    expect(itemsOf<Motion>(m, 'motions')).toEqual([
      { text: 'I make a motion to approve the library renovation contract', mover: 'Ortiz', seconder: 'Chen', tally: { yes: 2, no: null, abstain: null, absent: 1 }, result: 'carried', timestamp: '00:00:40' },
      { text: 'Motion to adjourn', mover: null, seconder: null, tally: { yes: null, no: null, abstain: null, absent: null }, result: 'carried', timestamp: '00:01:00' },
    ]);
  });

  test('attendance comes from the roll call; the adjournment time is where it was heard', () => {
    expect(m.attendees).toEqual({ present: ['Member Ortiz', 'Member Chen'], absent: ['Member Patel'] });
    expect(m.adjourned_at).toBe('00:01:00');
    expect(m.meeting).toEqual({ date: null, time: null, place: null });
    // Real captions break "Councilmember taylor is / excused." across two cues.
    const oakland = extractiveMinutes(fixture('oakland-excerpt.vtt'), { schema: COUNCIL_SCHEMA });
    expect(oakland.attendees).toEqual({
      present: ['Councilmember Fife', 'Councilmember Gallo', 'Vice Mayor Kaplan', 'President Bas'],
      absent: ['Councilmember Reid', 'Councilmember Taylor', 'Pro Tem Thao'],
    });
    expect(oakland.meeting).toEqual({ date: 'tuesday AUGUST 9', time: null, place: null });
  });

  test('public comment never becomes an action item; a direction to the clerk does', () => {
    const tasks = itemsOf<ActionItem>(m, 'action_items');
    expect(tasks.some((a) => /petition|potholes/.test(a.task))).toBe(false);
    expect(tasks).toContainEqual(expect.objectContaining({ owner: 'The clerk', due_date: 'March 3' }));
    expect(m.public_comment).toMatch(/^Public comment 00:00:20–00:00:34/);
  });

  test('real captions: the Oakland consent-calendar motion with mover, seconder and tally from the clerk', () => {
    const [motion, ...rest] = itemsOf<Motion>(extractiveMinutes(fixture('oakland-motion.vtt'), { schema: COUNCIL_SCHEMA }), 'motions');
    expect(rest).toEqual([]);
    expect(motion).toEqual({ text: 'I make a motion to approve the consent calendar', mover: 'Gallo', seconder: 'Kalb', tally: { yes: 6, no: null, abstain: null, absent: 2 }, result: 'carried', timestamp: '00:13:49' });
  });

  test('real captions: nine Boston voice votes in a row are nine motions, none merged', () => {
    const motions = itemsOf<Motion>(extractiveMinutes(fixture('boston-votes.vtt'), { schema: COUNCIL_SCHEMA }), 'motions');
    expect(motions.map((x) => x.timestamp)).toEqual(['00:52:25', '00:52:44', '00:53:18', '00:53:37', '00:53:53', '00:54:09', '00:54:24', '00:54:43', '00:55:09', '00:55:28']);
    expect(motions.every((x) => x.result === 'carried' && x.tally.yes === null)).toBe(true);
  });

  test('a chunk that starts mid-vote: a question put at its vote is a motion, the tail of an earlier one is not', () => {
    const seg = (start: number, text: string) => ({ start, end: start + 2, text });
    expect(findMotions([seg(0, 'seven sorry the ayes have it. The appointment has been confirmed.')])).toEqual([]);
    expect(findMotions([seg(10, 'All those in favor say thank you. The consent agenda has been adopted.')])).toEqual([
      expect.objectContaining({ text: 'All those in favor say thank you', result: 'carried', timestamp: '00:00:10' }),
    ]);
  });

  test('prompt lines end at sentences after a dozen words, so a model cites times near what was said', () => {
    const lines = transcriptLines(fixture('boston-votes.vtt').segments);
    expect(lines.every((l) => l.text.split(/\s+/).length <= 41)).toBe(true);
    expect(lines.some((l) => l.text.startsWith('[00:52:36] The resolution has been adopted .'))).toBe(true);
  });

  test('a transcript without motions, owners or dates leaves them empty or null', () => {
    const seattle = extractiveMinutes(fixture('seattle-excerpt.vtt'), { schema: COUNCIL_SCHEMA });
    expect(seattle.motions).toEqual([]);
    expect(seattle.meeting).toEqual({ date: 'AUGUST 2nd, 2021', time: '9:31 A.M.', place: null });
    expect((seattle.attendees as { present: string[] }).present).toHaveLength(8);
  });

  test('another template is another structure: a stand-up has updates per person and no motions', () => {
    const standup = extractiveMinutes(fixture('zoom-standup.vtt'), { schema: resolveTemplate('standup').schema });
    expect(Object.keys(standup)).toEqual(['abstract_summary', 'updates', 'action_items']);
    expect(standup.updates).toContainEqual(expect.objectContaining({ person: 'Marco Rossi', blockers: "I'm blocked on the staging database, it keeps running out of disk." }));
  });
});

describe('speaker turns', () => {
  test('caption fragments become paragraphs: a turn per ">>" and per sentence run, far fewer than the cues', () => {
    const oakland = fixture('oakland-motion.vtt');
    const turns = speakerTurns(oakland.segments);
    expect(turns.length).toBeLessThan(oakland.segments.length / 3);
    expect(turns.map((t) => t.text).join(' ')).toBe(oakland.segments.map((s) => s.text).join(' '));
    expect(turns.find((t) => t.text.startsWith('I make a motion'))).toMatchObject({ speakerChange: true, start: 829.385 });
    const boston = fixture('boston-excerpt.vtt');
    expect(speakerTurns(boston.segments).length).toBeLessThan(boston.segments.length / 3);
  });

  test('named speakers start a new turn each time the speaker changes', () => {
    const turns = speakerTurns(fixture('zoom-standup.vtt').segments);
    expect(turns.map((t) => t.speaker)).toEqual(['Lena Fischer', 'Marco Rossi', 'Lena Fischer', 'Sam Lee']);
  });
});

describe('outputs', () => {
  test('Markdown: a Motions table whose times link to the transcript turn they came from', () => {
    const md = minutesMarkdown(record(fixture('oakland-motion.vtt')));
    expect(md).toContain('## Motions\n\n| Text | Mover | Seconder | Tally | Result | Time |');
    expect(md).toContain('| I make a motion to approve the consent calendar | Gallo | Kalb | 6 yes, 2 absent | carried | [00:13:49](#t-00-13-49) |');
    expect(md).toContain('<a id="t-00-13-49"></a>\\[00:13:49\\] \\>\\> I make a motion');
    expect(md.split('\n').filter((l) => l.startsWith('## '))).toEqual(['## Meeting', '## Attendees', '## Abstract Summary', '## Agenda Items', '## Motions', '## Decisions', '## Action Items', '## Public Comment', '## Adjourned', '## Transcript']);
  });

  test('HTML: the same sections and tables, every text escaped', () => {
    const transcript = parseTranscript('WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Mallory>I move to adopt &lt;script&gt;alert(1)&lt;/script&gt; now. All in favor? The ayes have it.</v>\n');
    const html = minutesHtml(record(transcript));
    expect(html).not.toMatch(/<script|<b>/);
    expect(html).toContain('<title>Council &lt;b&gt;&amp;&lt;/b&gt; &quot;friends&quot;</title>');
    expect(html).toContain('<h2>Motions</h2>\n<table><thead><tr><th scope="col">Text</th>');
    expect(html).toContain('<td>I move to adopt &lt;script&gt;alert(1)&lt;/script&gt; now</td><td>Mallory</td>');
    expect(html).toContain('<a href="#t-00-00-01">00:00:01</a>');
    expect(html).toContain('<p id="t-00-00-01">');
  });

  test('DOCX: Heading 1 sections, tables in a table style with a header row, bookmarks the times link to', async () => {
    const files = unzip(await minutesDocx(record(fixture('oakland-motion.vtt'))));
    const xml = files.get('word/document.xml')!;
    const styles = files.get('word/styles.xml')!;
    expect(xml).toContain('<w:pStyle w:val="Heading1"/>');
    // Real styles a clerk can change once for the whole document: the headings and a table style.
    expect(styles).toMatch(/<w:style [^>]*w:styleId="Heading1"/);
    expect(styles).toMatch(/<w:style w:type="table" [^>]*w:styleId="MinutesTable"><w:name w:val="Minutes Table"\/>/);
    expect(xml).toContain('<w:tblStyle w:val="MinutesTable"/>');
    expect(xml).toMatch(/<w:tbl>[\s\S]*<w:tblHeader\/>[\s\S]*I make a motion to approve the consent calendar/);
    expect(xml).toMatch(/<w:hyperlink [^>]*w:anchor="t-00-13-49"/);
    expect(xml).toMatch(/<w:bookmarkStart w:name="t-00-13-49" w:id="\d+"\/>/);
  });
});

describe('templates through a chat model', () => {
  let standIn: OpenAIStandIn;
  let fill: ((p: string) => unknown) | undefined;
  const chat = (model = 'gpt-4o-mini') => createOpenAIChat({ apiKey: 'test', baseURL: standIn.url, model, maxRetries: 0 });
  const bodies = () => standIn.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as Body);

  beforeAll(async () => {
    standIn = await startOpenAIStandIn({ respond: structuredRespond({ fill: (p) => fill?.(p) }) });
  });
  afterAll(() => standIn?.close());
  beforeEach(() => {
    standIn.requests.length = 0;
    fill = undefined;
  });

  test('the council schema is the response format; a mover, seconder or tally the transcript never says is null', async () => {
    fill = (p) =>
      ({
        'motions.0.text': 'Approve the consent calendar',
        'motions.0.mover': 'Gallo',
        'motions.0.seconder': 'Alvarez',
        'motions.0.tally': { yes: 6, no: 11, abstain: null, absent: 2 },
        'motions.0.result': 'carried',
        'motions.0.timestamp': '00:13:49',
        'motions.1.text': 'Approve the minutes',
        'motions.1.timestamp': '01:30:00',
      })[p];
    const { minutes } = await generateMinutes(fixture('oakland-motion.vtt'), { chat: chat(), template: 'council', speakers: ['Nikki Fortunato Bas', 'Noel Gallo'] });
    const [body] = bodies();
    expect(Object.keys(body!.response_format!.json_schema.schema.properties)).toEqual(['meeting', 'attendees', 'abstract_summary', 'agenda_items', 'motions', 'decisions', 'action_items', 'public_comment', 'adjourned_at']);
    expect(body!.messages[0]!.content).toContain('as the clerk named them: Nikki Fortunato Bas, Noel Gallo.');
    expect(itemsOf<Motion>(minutes, 'motions')).toEqual([
      // "six" and "two" were said, "eleven" was not; nobody called Alvarez spoke or was named.
      { text: 'Approve the consent calendar', mover: 'Gallo', seconder: null, tally: { yes: 6, no: null, abstain: null, absent: 2 }, result: 'carried', timestamp: '00:13:49' },
      // 01:30:00 is outside this transcript.
      expect.objectContaining({ text: 'Approve the minutes', timestamp: null }),
    ]);
  });

  test('map-reduce keeps motions in meeting order and the same motion from two chunks once', async () => {
    let call = 0;
    fill = (p) => {
      if (p === 'motions') {
        call++;
        const at = (t: string, text: string) => ({ text, mover: null, seconder: null, tally: { yes: null, no: null, abstain: null, absent: null }, result: 'carried', timestamp: t });
        // The first chunk's answer lists its motions out of order: the minutes put them in meeting order.
        return call === 1 ? [at('00:52:44', 'Pass docket 0687'), at('00:52:25', 'Adopt docket 0486')] : call === 2 ? [at('00:52:44', 'pass docket 0687'), at('00:53:18', 'Pass docket 0688')] : [];
      }
      return undefined;
    };
    const { minutes, stats } = await generateMinutes(fixture('boston-votes.vtt'), { chat: chat('gpt-4'), template: 'council', maxChunkTokens: 400, reserveOutputTokens: 2048, concurrency: 1 });
    expect(stats.chunks).toBeGreaterThan(1);
    expect(itemsOf<Motion>(minutes, 'motions').map((x) => x.text)).toEqual(['Adopt docket 0486', 'Pass docket 0687', 'Pass docket 0688']);
    // Only prose goes to the reduce step: motions are merged in code.
    const reduce = bodies().find((b) => b.response_format?.json_schema.name === 'meeting_summary')!;
    expect(Object.keys(reduce.response_format!.json_schema.schema.properties)).toEqual(['abstract_summary']);
  });

  test('a user template file defines the schema, the layout and the instructions', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-template-'));
    try {
      const file = path.join(dir, 'sales.json');
      await writeFile(
        file,
        JSON.stringify({
          name: 'sales-call',
          instructions: 'This is a sales call.',
          schema: { type: 'object', properties: { customer: { type: ['string', 'null'] }, objections: { type: 'array', items: { type: 'object', properties: { objection: { type: 'string' }, timestamp: { type: ['string', 'null'] } } } } } },
          layout: [{ field: 'objections', title: 'Objections raised', columns: ['objection', { field: 'timestamp', title: 'When' }] }],
        }),
      );
      const template = resolveTemplate(file);
      expect(template.schema).toMatchObject({ additionalProperties: false, required: ['customer', 'objections'] });
      fill = (p) => ({ 'objections.0.objection': 'Too expensive', 'objections.0.timestamp': '00:00:05' })[p];
      const { minutes } = await generateMinutes(fixture('teams-budget.vtt'), { chat: chat(), template });
      expect(bodies()[0]!.messages[0]!.content).toContain('This is a sales call.');
      expect(Object.keys(minutes)).toEqual(['customer', 'objections']);
      const md = minutesMarkdown({ ...record(fixture('teams-budget.vtt')), minutes, layout: template.layout });
      expect(md).toContain('## Objections raised\n\n| Objection | When |\n| --- | --- |\n| Too expensive | [00:00:05](#t-00-00-03) |');
      await writeFile(file, JSON.stringify({ schema: { type: 'object', properties: { a: { type: 'string' } } }, layout: [{ field: 'b' }] }));
      expect(() => resolveTemplate(file)).toThrow(ConfigError);
      expect(() => resolveTemplate(file)).toThrow('has a bad "layout": section 1 names no field of the schema (a)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('diarized transcription', () => {
  /** A second of silence as 8 kHz 16-bit mono PCM WAV. */
  function silentWav(): Buffer {
    const data = Buffer.alloc(16000);
    const h = Buffer.alloc(44);
    h.write('RIFF', 0);
    h.writeUInt32LE(36 + data.length, 4);
    h.write('WAVEfmt ', 8);
    h.writeUInt32LE(16, 16);
    h.writeUInt16LE(1, 20);
    h.writeUInt16LE(1, 22);
    h.writeUInt32LE(8000, 24);
    h.writeUInt32LE(16000, 28);
    h.writeUInt16LE(2, 32);
    h.writeUInt16LE(16, 34);
    h.write('data', 36);
    h.writeUInt32LE(data.length, 40);
    return Buffer.concat([h, data]);
  }

  test('a diarizing model is asked for diarized_json and its speakers are kept, as turns', async () => {
    const standIn = await startOpenAIStandIn({
      transcribe: () => ({
        text: 'I move to approve. Second. All in favor?',
        duration: 1,
        segments: [
          { start: 0, end: 0.3, text: 'I move to approve.', speaker: 'A' },
          { start: 0.3, end: 0.5, text: 'Second.', speaker: 'B' },
          { start: 0.5, end: 1, text: 'All in favor?', speaker: 'A' },
        ],
      }),
    });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-diarize-'));
    try {
      const file = path.join(dir, 'vote.wav');
      await writeFile(file, silentWav());
      const model = createOpenAITranscription({ apiKey: 'test', baseURL: standIn.url, model: 'gpt-4o-transcribe-diarize', maxRetries: 0 });
      const t = await transcribeAudio(file, { model, prompt: 'Council' });
      const request = standIn.requests.find((r) => r.path === '/v1/audio/transcriptions')!;
      expect(request.body).toMatchObject({ model: 'gpt-4o-transcribe-diarize', response_format: 'diarized_json' });
      expect(request.body).not.toHaveProperty('prompt');
      expect(speakerTurns(t.segments).map((x) => `${x.speaker}: ${x.text}`)).toEqual(['Speaker A: I move to approve.', 'Speaker B: Second.', 'Speaker A: All in favor?']);
    } finally {
      await standIn.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
