/**
 * Transcript parsing: the caption and transcript shapes real tools export (Teams, Zoom, SRT,
 * broadcast captions with `>>`), from fixtures that always run and from the full council captions
 * in ../shared/corpora when present.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { decodeEntities, detectTranscriptFormat, parseTranscript } from '../src/meetings/parse-transcript.js';
import { formatClock, parseClock, transcriptText } from '../src/meetings/transcript.js';
import { ConfigError, InputError } from '../src/errors.js';
import { corpusPath } from './support/corpora.js';

const fixture = (name: string) => readFileSync(path.join(packageRoot(), 'test/fixtures/transcripts', name), 'utf8');
const corpora = corpusPath('transcripts');

describe('WebVTT', () => {
  test('takes speakers from Teams voice spans, skips NOTE and STYLE blocks and decodes entities', () => {
    const t = parseTranscript(fixture('teams-budget.vtt'));
    expect(t.format).toBe('vtt');
    expect(t.timing).toBe('exact');
    expect(t.segments).toHaveLength(9);
    expect(t.segments[0]).toEqual({ start: 3.12, end: 7.48, speaker: 'Priya Raman', text: "Good morning everyone, let's start with the Q3 budget review." });
    expect(t.segments[2]).toMatchObject({ speaker: "Tom O'Neil", text: "That's mostly the trade show in Berlin & the extra ads." });
    // `<v.loud Name>` carries a class; the name is still the speaker.
    expect(t.segments[7]!.speaker).toBe("Tom O'Neil");
    expect(t.segments.map((s) => s.text).join(' ')).not.toMatch(/NOTE|confidence|::cue|<|&#/);
    expect(t.duration).toBe(62);
  });

  test('takes speakers from Zoom "Name: text" labels but leaves a one-off "Note:" as text', () => {
    const t = parseTranscript(fixture('zoom-standup.vtt'));
    expect(t.segments.map((s) => s.speaker)).toEqual(['Lena Fischer', 'Lena Fischer', 'Marco Rossi', 'Marco Rossi', 'Lena Fischer', 'Sam Lee', 'Sam Lee']);
    expect(t.segments[0]!.text).toBe('Morning. Yesterday I finished the login page redesign.');
    expect(t.segments[4]!.text).toBe('Note: the staging disk alert fired again last night.');
  });

  test('splits a cue at ">>" into turns marked as a change of speaker, with time shared by length', () => {
    const t = parseTranscript(fixture('oakland-excerpt.vtt'));
    const [first, second] = t.segments;
    expect(first).toMatchObject({ start: 148.168, text: 'successor agency/city council.' });
    expect(first!.speakerChange).toBeUndefined();
    expect(second).toMatchObject({ text: 'good morning, welcome to', speakerChange: true, end: 151.36 });
    expect(second!.start).toBeCloseTo(first!.end, 3);
    expect(second!.start).toBeGreaterThan(148.168);
    expect(t.segments.every((s) => s.speaker === undefined)).toBe(true);
    expect(t.segments.some((s) => s.text.startsWith('>'))).toBe(false);
  });

  test('handles a byte-order mark, cue settings and ">>" written as entities', () => {
    const t = parseTranscript(fixture('seattle-excerpt.vtt'));
    expect(t.format).toBe('vtt');
    expect(t.segments[0]).toMatchObject({ start: 5.872, end: 9.409, text: 'GOOD MORNING EVERYONE.', speakerChange: true });
    expect(t.segments.some((s) => /align:|position:|&gt;/.test(s.text))).toBe(false);
    expect(t.segments.filter((s) => s.speakerChange).length).toBeGreaterThan(10);
  });

  test('drops empty cues and keeps caption fragments in time order', () => {
    const t = parseTranscript(fixture('boston-excerpt.vtt'));
    expect(t.segments[0]).toMatchObject({ start: 40.337, text: "uh uh, I'm the city councilor for" });
    for (let i = 1; i < t.segments.length; i++) expect(t.segments[i]!.start).toBeGreaterThanOrEqual(t.segments[i - 1]!.start);
  });
});

describe('SRT', () => {
  test('parses comma times, strips markup and positioning tags, and takes upper-case labels as speakers', () => {
    const t = parseTranscript(fixture('meeting.srt'));
    expect(t.format).toBe('srt');
    expect(t.segments[0]).toEqual({ start: 0.5, end: 4, text: '[music]' });
    expect(t.segments[1]).toEqual({ start: 4.2, end: 8.9, speaker: 'CHAIR', text: 'The meeting will come to order. We have a quorum.' });
    expect(t.segments[2]).toMatchObject({ speaker: 'CLERK', text: 'Item one is the library renovation contract.' });
  });
});

describe('plain text', () => {
  test('reads Teams text exports: a speaker-and-time line, then what was said', () => {
    const t = parseTranscript(fixture('teams-export.txt'));
    expect(t.format).toBe('text');
    expect(t.timing).toBe('exact');
    expect(t.segments.map((s) => [s.start, s.speaker])).toEqual([[3, 'Priya Raman'], [13, "Tom O'Neil"], [27, 'Priya Raman'], [33, 'Aisha Khan']]);
    // Each utterance lasts until the next one starts; the last one by its word count.
    expect(t.segments[0]!.end).toBe(13);
    expect(t.segments[3]!.end).toBeCloseTo(33 + (10 * 60) / 150, 3);
  });

  test('untimed "Name: text" lines get times estimated from their words, and say so', () => {
    const t = parseTranscript(fixture('notes.txt'));
    expect(t.timing).toBe('estimated');
    expect(t.segments.map((s) => s.speaker)).toEqual(['Alex', 'Jordan', 'Alex', 'Jordan', 'Jordan', 'Alex']);
    // "Update:" is said once: it is text, and the speaker before it continues.
    expect(t.segments[4]!.text).toBe('Update: the pricing page changed yesterday, so numbers may shift.');
    expect(t.segments[1]!.start).toBe(t.segments[0]!.end);
    expect(t.segments[0]!.end).toBeCloseTo((12 * 60) / 150, 3);
  });

  test('reads leading times like [00:01:02] and (1:02)', () => {
    const t = parseTranscript('[00:00:05] Ann: Hello there.\n(1:02) Bob: Hi Ann.\n00:01:30 - Ann: Shall we start?\n');
    expect(t.timing).toBe('exact');
    expect(t.segments.map((s) => [s.start, s.end, s.speaker, s.text])).toEqual([
      [5, 62, 'Ann', 'Hello there.'],
      [62, 90, 'Bob', 'Hi Ann.'],
      [90, 91.2, 'Ann', 'Shall we start?'],
    ]);
  });
});

describe('errors and helpers', () => {
  test('an empty transcript or captions without text are a clear InputError', () => {
    expect(() => parseTranscript('', { source: 'empty.txt' })).toThrow(InputError);
    expect(() => parseTranscript('  \n\n', { source: 'empty.txt' })).toThrow('The transcript empty.txt has no text');
    expect(() => parseTranscript('WEBVTT\n\n00:00:00.000 --> 00:00:00.000\n\n', { source: 'x.vtt' })).toThrow('The transcript x.vtt has no WebVTT cues with text');
  });

  test('an unknown format option names the value', () => {
    expect(() => parseTranscript('hi', { format: 'docx' as never })).toThrow(ConfigError);
    expect(() => parseTranscript('hi', { format: 'docx' as never })).toThrow('got `docx` (string)');
  });

  test('detects formats from content and parses clock times', () => {
    expect(detectTranscriptFormat('\uFEFFWEBVTT - title\n\n')).toBe('vtt');
    expect(detectTranscriptFormat('1\n00:00:01,000 --> 00:00:02,000\nhi\n')).toBe('srt');
    expect(detectTranscriptFormat('Ann: hello')).toBe('text');
    expect(parseClock('01:02:03.5')).toBe(3723.5);
    expect(parseClock('2:03')).toBe(123);
    expect(parseClock('00:61:00')).toBeUndefined();
    expect(formatClock(754.9)).toBe('00:12:34');
    expect(decodeEntities('a &amp; b &#8217; &#x41; &bogus;')).toBe('a & b ’ A &bogus;');
  });

  test('transcript text labels each turn once', () => {
    const t = parseTranscript(fixture('zoom-standup.vtt'));
    const lines = transcriptText(t.segments).split('\n');
    expect(lines[0]).toBe("Lena Fischer: Morning. Yesterday I finished the login page redesign. Today I'm working on the password reset flow. No blockers.");
    expect(lines).toHaveLength(4);
  });
});

const haveCorpora = existsSync(corpora);
(haveCorpora ? describe : describe.skip)(`real council captions${haveCorpora ? '' : ' — skipped: ../shared/corpora/transcripts is absent'}`, () => {
  test('Boston: 73 minutes of captions in order, without empty or markup segments', () => {
    const t = parseTranscript(readFileSync(path.join(corpora, 'boston_city_council_captions.vtt'), 'utf8'));
    expect(t.segments.length).toBeGreaterThan(1000);
    expect(t.duration).toBeGreaterThan(70 * 60);
    expect(t.segments.every((s) => s.text.length > 0 && !/-->|<|&\w+;/.test(s.text))).toBe(true);
  });

  test('Oakland: every ">>" becomes a change of speaker', () => {
    const text = readFileSync(path.join(corpora, 'oakland_council_captions.vtt'), 'utf8');
    const t = parseTranscript(text);
    expect(t.segments.filter((s) => s.speakerChange)).toHaveLength((text.match(/>>/g) ?? []).length);
  });
});
