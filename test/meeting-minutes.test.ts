/**
 * Minutes from transcripts: structured outputs through the OpenAI stand-in (one call, and
 * map-reduce under a small window), the checks that keep invented owners and dates out, templates,
 * and the offline extractive minutes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import { structuredRespond, jsonForSchema } from './stand-in/structured.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { parseTranscript } from '../src/meetings/parse-transcript.js';
import { generateMinutes, mergeActionItems, type MinutesCallEvent } from '../src/meetings/generate-minutes.js';
import { MINUTES_SCHEMA, itemsOf, minutesFromJson, type ActionItem, type Decision, type Sentiment } from '../src/meetings/minutes.js';
import { resolveTemplate } from '../src/meetings/templates.js';
import { extractiveMinutes } from '../src/meetings/extractive-minutes.js';
import { ConfigError, ModelError } from '../src/errors.js';
import type { Transcript } from '../src/meetings/transcript.js';
import { corpusPath } from './support/corpora.js';

const fixture = (name: string) => readFileSync(path.join(packageRoot(), 'test/fixtures/transcripts', name), 'utf8');
const corpora = corpusPath('transcripts');

type Body = { messages: Array<{ role: string; content: string }>; temperature?: number; response_format?: { type: string; json_schema: { name: string; strict: boolean; schema: unknown } }; max_tokens?: number };

describe('minutes through a chat model', () => {
  let standIn: OpenAIStandIn;
  let fill: Parameters<typeof structuredRespond>[0] extends infer O ? (O extends { fill?: infer F } ? F : never) : never;
  const budget = parseTranscript(fixture('teams-budget.vtt'));
  const chat = (model = 'gpt-4o-mini') => createOpenAIChat({ apiKey: 'test', baseURL: standIn.url, model, maxRetries: 0 });
  const chatBodies = () => standIn.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body as Body);

  beforeAll(async () => {
    standIn = await startOpenAIStandIn({ respond: structuredRespond({ fill: (...args) => fill?.(...args) }) });
  });
  afterAll(() => standIn?.close());
  beforeEach(() => {
    standIn.requests.length = 0;
    fill = undefined as never;
  });

  test('a transcript that fits the window takes one structured call at temperature 0', async () => {
    const { minutes, stats } = await generateMinutes(budget, { chat: chat(), title: 'Q3 budget review' });
    expect(stats).toMatchObject({ chunks: 1, calls: 1, reduceRounds: 0 });
    const [body] = chatBodies();
    expect(body!.temperature).toBe(0);
    expect(body!.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'meeting_minutes', strict: true, schema: MINUTES_SCHEMA } });
    expect(body!.messages[1]!.content).toContain('[00:00:33] Aisha Khan: I will send the revised forecast to finance by Friday.');
    expect(body!.messages[1]!.content).toContain('Meeting: Q3 budget review');
    expect(minutes.abstract_summary).toMatch(/\w/);
    expect(itemsOf(minutes, 'key_points').length).toBeGreaterThan(0);
    // The stand-in leaves nullable fields null: nothing is made up on the way.
    expect(itemsOf<ActionItem>(minutes, 'action_items').every((a) => a.owner === null && a.due_date === null)).toBe(true);
    expect(stats.promptTokens).toBeGreaterThan(0);
  });

  test('keeps owners and due dates the transcript states and drops invented ones', async () => {
    fill = (p) =>
      ({
        'action_items.0.task': 'Send the revised forecast to finance',
        'action_items.0.owner': 'Aisha Khan',
        'action_items.0.due_date': 'Friday',
        'action_items.0.timestamp': '00:00:33',
        'action_items.1.task': 'Check the Berlin venue contract for a refund',
        'action_items.1.owner': 'Marta Lopez',
        'action_items.1.due_date': 'June 30',
        'action_items.1.timestamp': '02:00:00',
      })[p];
    const { minutes } = await generateMinutes(budget, { chat: chat() });
    expect(minutes.action_items).toEqual([
      { task: 'Send the revised forecast to finance', owner: 'Aisha Khan', due_date: 'Friday', timestamp: '00:00:33' },
      // Nobody called Marta spoke or was named, no June 30 was said, and 02:00:00 is past the end.
      { task: 'Check the Berlin venue contract for a refund', owner: null, due_date: null, timestamp: null },
    ]);
  });

  test('a transcript longer than the window is chunked, extracted per chunk and reduced, never truncated', async () => {
    const long: Transcript = parseTranscript(fixture('oakland-excerpt.vtt'));
    const calls: MinutesCallEvent[] = [];
    fill = (p) => (p === 'decisions.0.text' ? 'We decided to hold the meeting.' : p === 'decisions.1.text' ? 'We decided to hold the meeting!' : undefined);
    const { minutes, stats } = await generateMinutes(long, { chat: chat('gpt-4'), maxChunkTokens: 200, reserveOutputTokens: 512, onCall: (e) => calls.push(e) });
    const bodies = chatBodies();
    const maps = bodies.filter((b) => b.response_format?.json_schema.name === 'meeting_minutes');
    expect(maps.length).toBe(stats.chunks);
    expect(stats.chunks).toBeGreaterThan(2);
    expect(stats.reduceRounds).toBeGreaterThanOrEqual(1);
    expect(bodies.some((b) => b.response_format?.json_schema.name === 'meeting_summary')).toBe(true);
    expect(standIn.requests.every((r) => r.status === 200)).toBe(true);
    expect(calls.filter((c) => c.step === 'map').map((c) => c.of)).toEqual(Array(stats.chunks).fill(stats.chunks));
    // Every segment of the transcript went to exactly one map call.
    const sent = maps.map((b) => b.messages[1]!.content).join('\n');
    for (const seg of long.segments) expect(sent).toContain(seg.text);
    expect(maps[1]!.messages[1]!.content).toMatch(/This is part 2 of \d+ of the meeting/);
    // The same decision from every chunk is kept once.
    expect(itemsOf<Decision>(minutes, 'decisions').map((d) => d.text)).toEqual(['We decided to hold the meeting.']);
  });

  test('a reply that is not JSON, or is cut off, is a ModelError that says so', async () => {
    const bad = await startOpenAIStandIn({ respond: () => 'Sure! Here are the minutes.' });
    try {
      const model = createOpenAIChat({ apiKey: 'test', baseURL: bad.url, model: 'gpt-4o-mini', maxRetries: 0 });
      await expect(generateMinutes(budget, { chat: model })).rejects.toThrow(/did not reply with JSON .*began "Sure! Here/);
    } finally {
      await bad.close();
    }
    const long = await startOpenAIStandIn({ respond: () => 'word '.repeat(2000) });
    try {
      const model = createOpenAIChat({ apiKey: 'test', baseURL: long.url, model: 'gpt-4o-mini', maxRetries: 0 });
      const err = await generateMinutes(budget, { chat: model, reserveOutputTokens: 256 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelError);
      expect((err as ModelError).message).toContain('was cut at 256 tokens');
    } finally {
      await long.close();
    }
  });

  test('a failed call stops the map step: no further chunks are sent', async () => {
    const long = parseTranscript(fixture('oakland-excerpt.vtt'));
    standIn.injectFaults({ status: 500 });
    await expect(generateMinutes(long, { chat: chat('gpt-4'), maxChunkTokens: 200, reserveOutputTokens: 512, concurrency: 1 })).rejects.toThrow(ModelError);
    expect(chatBodies()).toHaveLength(1);
  });

  test('templates add their instructions; unknown ones name the choices; a file is read as instructions', async () => {
    await generateMinutes(budget, { chat: chat(), template: 'standup', instructions: 'Write in British English.' });
    const system = chatBodies()[0]!.messages[0]!.content;
    expect(system).toContain('This is a stand-up.');
    expect(system).toContain('Write in British English.');
    expect(() => resolveTemplate('weekly')).toThrow(ConfigError);
    expect(() => resolveTemplate('weekly')).toThrow('use one of general, council, board, standup, retro, one-on-one, interview');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-template-'));
    try {
      await writeFile(path.join(dir, 'sales.txt'), 'This is a sales call: list the customer objections.\n');
      expect(resolveTemplate(path.join(dir, 'sales.txt')).instructions).toBe('This is a sales call: list the customer objections.');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a window too small for any transcript is a ConfigError, before any call', async () => {
    const tiny = createOpenAIChat({ apiKey: 'test', baseURL: standIn.url, model: 'tiny-model', contextWindow: 600, maxOutputTokens: 256, maxRetries: 0 });
    await expect(generateMinutes(budget, { chat: tiny, reserveOutputTokens: 256 })).rejects.toThrow(/window of 600 tokens leaves -?\d+ for transcript/);
    expect(chatBodies()).toHaveLength(0);
  });

  const haveCorpora = existsSync(corpora);
  (haveCorpora ? test : test.skip)(`the 73-minute Boston council captions with an 8k-window model${haveCorpora ? '' : ' — skipped: ../shared/corpora/transcripts is absent'}`, async () => {
    const boston = parseTranscript(readFileSync(path.join(corpora, 'boston_city_council_captions.vtt'), 'utf8'));
    const { stats } = await generateMinutes(boston, { chat: chat('gpt-4'), template: 'board' });
    expect(stats.chunks).toBeGreaterThan(1);
    expect(standIn.requests.every((r) => r.status === 200)).toBe(true);
  });
});

describe('minutes checks and merging', () => {
  test('action items repeated across chunks are merged, filling in a missing owner or date', () => {
    const merged = mergeActionItems([
      [{ task: 'Send the revised forecast to finance', owner: null, due_date: 'Friday', timestamp: '00:00:33' }],
      [{ task: 'send revised forecast to finance', owner: 'Aisha Khan', due_date: null, timestamp: '00:20:00' }, { task: 'Book the venue', owner: null, due_date: null, timestamp: null }],
    ]);
    expect(merged).toEqual([
      { task: 'Send the revised forecast to finance', owner: 'Aisha Khan', due_date: 'Friday', timestamp: '00:00:33' },
      { task: 'Book the venue', owner: null, due_date: null, timestamp: null },
    ]);
  });

  test('a reply missing a part of the minutes is refused', () => {
    expect(() => minutesFromJson({ abstract_summary: 'x' })).toThrow('the reply has no "key_points"');
    expect(() => minutesFromJson('text')).toThrow('not a JSON object');
  });

  test('the stand-in helper fills any schema with valid values', () => {
    const value = jsonForSchema(MINUTES_SCHEMA, [{ role: 'user', content: '<transcript>\n[00:00:01] Ann: We agreed to ship on Monday.\n</transcript>' }]) as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['abstract_summary', 'key_points', 'decisions', 'action_items', 'sentiment']);
    expect(value.abstract_summary).toBe('Ann: We agreed to ship on Monday.');
    expect((value.sentiment as { label: string }).label).toBe('positive');
    expect(itemsOf(minutesFromJson(value), 'action_items')).toHaveLength(2);
  });
});

describe('offline extractive minutes', () => {
  test('decisions, action items with stated owners and dates, and key points are sentences of the meeting', () => {
    const t = parseTranscript(fixture('teams-budget.vtt'));
    const m = extractiveMinutes(t);
    const said = t.segments.map((s) => s.text).join(' ');
    expect(itemsOf<Decision>(m, 'decisions').map((d) => d.text)).toEqual(['We decided to cap advertising at 20 thousand a month starting in October.']);
    const actions = itemsOf<ActionItem>(m, 'action_items');
    expect(actions).toContainEqual({ task: 'I will send the revised forecast to finance by Friday.', owner: 'Aisha Khan', due_date: 'Friday', timestamp: '00:00:33' });
    expect(actions).toContainEqual({ task: 'Someone needs to check the contract with the Berlin venue for a refund.', owner: null, due_date: null, timestamp: '00:00:41' });
    expect(actions).toContainEqual(expect.objectContaining({ task: 'We will meet again next Tuesday to review the forecast.', owner: null, due_date: 'next Tuesday' }));
    for (const k of [...itemsOf<string>(m, 'key_points'), m.abstract_summary as string]) expect(said).toContain(k.split(' ').slice(0, 6).join(' '));
    const sentiment = m.sentiment as Sentiment;
    expect(sentiment.label).toBe('positive');
    expect(sentiment.explanation).toMatch(/^Word count \(offline estimate\): \d+ positive words/);
  });

  test('a named person who "will" do something is the owner; an SRT council motion is a decision', () => {
    const zoom = extractiveMinutes(parseTranscript(fixture('zoom-standup.vtt')));
    expect(itemsOf(zoom, 'action_items')).toContainEqual(expect.objectContaining({ task: "I'll resize the staging volume this afternoon.", owner: 'Sam Lee', due_date: 'this afternoon' }));
    expect(itemsOf<Decision>(zoom, 'decisions')).toEqual([{ text: "Let's go with the larger instance type for staging from now on.", timestamp: '00:00:34' }]);
    const srt = extractiveMinutes(parseTranscript(fixture('meeting.srt')));
    expect(itemsOf<Decision>(srt, 'decisions').map((d) => d.text)).toEqual(['The motion carries.']);
    expect(itemsOf(srt, 'action_items')).toContainEqual(expect.objectContaining({ owner: 'The clerk', due_date: 'March 3', timestamp: '00:00:20' }));
  });
});
