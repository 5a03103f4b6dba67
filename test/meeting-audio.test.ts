/**
 * Audio to transcript with real speech: sentences of a known script spoken by espeak-ng and joined
 * by sox with pauses, so every sentence's true time is known. The stand-in cannot recognise speech,
 * so its transcriber finds where an upload sits in the recording by aligning loudness (speech and
 * pause windows) against the whole file, and answers with the script's sentences in that stretch —
 * cuts, offsets and prompts are then checked against the truth.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import type { StandInTranscriber } from './stand-in/audio.js';
import { structuredRespond } from './stand-in/structured.js';
import { createOpenAITranscription } from '../src/models/openai/transcription.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { transcribeAudio, type AudioPieceEvent } from '../src/meetings/transcribe-audio.js';
import { readWavInfo, wavLoudness } from '../src/meetings/wav.js';
import { chooseCuts } from '../src/meetings/split-audio.js';
import { meetingMinutes } from '../src/index.js';
import { freshDatabase } from './support/databases.js';
import { InputError, ModelError } from '../src/errors.js';
import { resolveTranscriptionModel } from '../src/models/resolve.js';
import { runCliInProcess } from './support/cli.js';

const has = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0 || spawnSync(tool, ['-version'], { stdio: 'ignore' }).status === 0;
const tools = { espeak: has('espeak-ng'), sox: has('sox'), ffmpeg: has('ffmpeg') };
const missing = Object.entries({ 'espeak-ng': tools.espeak, sox: tools.sox }).filter(([, ok]) => !ok).map(([t]) => t);
const describeSpeech = missing.length === 0 ? describe : describe.skip;

const SCRIPT = [
  'Good morning everyone, the budget review will now begin.',
  'Marketing spent more than planned in the third quarter.',
  'The trade show in Berlin cost twice the estimate.',
  'We decided to cap advertising for the rest of the year.',
  'Aisha will send the revised forecast to finance by Friday.',
  'Tom asked whether the venue contract allows a refund.',
  'Nobody knew the answer, so legal will be asked.',
  'The hiring plan stays as it is for now.',
  'Two new engineers start in November.',
  'The office move is postponed until spring.',
  'Thank you all, we meet again next Tuesday.',
];
/** Pauses of different lengths (0.5–1.1 s), so no stretch of the recording looks like another. */
const pause = (n: number) => 0.5 + 0.1 * ((n * 5) % 7);
const WINDOW = 0.05;

interface Recording {
  file: string;
  /** True start and end of each sentence, seconds. */
  schedule: Array<{ start: number; end: number; text: string }>;
  /** Speech (true) or pause, per 50 ms window of the whole recording. */
  mask: boolean[];
}

/** Speech/pause mask of mono PCM audio at 50 ms windows. */
function maskOf(wav: Buffer): boolean[] {
  const info = readWavInfo(wav);
  return wavLoudness(wav, info, WINDOW).map((rms) => rms > 0.01);
}

/** Speak the script (repeated `times`), joined by pauses, written at `rate` Hz with `channels` channels. */
function speak(dir: string, name: string, times: number, rate: number, channels: number): Recording {
  const parts: string[] = [];
  const schedule: Recording['schedule'] = [];
  const pauses = Array.from({ length: 7 }, (_, k) => {
    const file = path.join(dir, `pause${k}.wav`);
    execFileSync('sox', ['-n', '-r', '22050', '-c', '1', '-b', '16', file, 'trim', '0', (0.5 + 0.1 * k).toFixed(1)]);
    return file;
  });
  let at = 0;
  let n = 0;
  for (let r = 0; r < times; r++) {
    SCRIPT.forEach((sentence, i) => {
      const text = times > 1 ? `${sentence.replace(/\.$/, '')}, part ${r + 1}.` : sentence;
      const file = path.join(dir, `s${r}-${i}.wav`);
      execFileSync('espeak-ng', ['-w', file, text]);
      // espeak pads its output with a little silence: find where the voice really starts and ends.
      const wav = readFileSync(file);
      const mask = maskOf(wav);
      const first = mask.indexOf(true);
      const last = mask.lastIndexOf(true);
      const duration = readWavInfo(wav).duration;
      schedule.push({ start: at + first * WINDOW, end: at + (last + 1) * WINDOW, text });
      const gap = pause(n++);
      parts.push(file, pauses[Math.round((gap - 0.5) * 10)]!);
      at += duration + gap;
    });
  }
  const out = path.join(dir, name);
  execFileSync('sox', [...parts, '-r', String(rate), '-c', String(channels), '-b', '16', out]);
  const mono = path.join(dir, `${name}.mono.wav`);
  execFileSync('sox', [out, '-r', '22050', '-c', '1', '-b', '16', mono]);
  return { file: out, schedule, mask: maskOf(readFileSync(mono)) };
}

/** Decode any upload to 22.05 kHz mono WAV (WAV as it is; others through ffmpeg). */
function decode(audio: Buffer, fileName: string): Buffer {
  if (fileName.endsWith('.wav')) {
    const info = readWavInfo(audio);
    if (info.channels === 1) return audio;
  }
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-ac', '1', '-ar', '22050', '-f', 'wav', 'pipe:1'], { input: audio, maxBuffer: 256 * 1024 * 1024 });
}

/** A transcriber that knows the recording: it aligns the upload's speech mask against it. */
function knowingTranscriber(rec: Recording, seen: Array<{ fileName: string; prompt?: string; offset: number; bytes: number }>): StandInTranscriber {
  return (audio, request) => {
    const wav = decode(audio, request.fileName);
    const mask = maskOf(wav);
    let best = 0;
    let bestScore = -1;
    for (let o = 0; o + mask.length <= rec.mask.length + 4; o++) {
      let score = 0;
      for (let i = 0; i < mask.length; i++) if (mask[i] === (rec.mask[o + i] ?? false)) score++;
      if (score > bestScore) {
        bestScore = score;
        best = o;
      }
    }
    const offset = best * WINDOW;
    const duration = readWavInfo(wav).duration;
    seen.push({ fileName: request.fileName, ...(request.prompt !== undefined ? { prompt: request.prompt } : {}), offset, bytes: audio.length });
    const segments = rec.schedule
      .filter((s) => (s.start + s.end) / 2 >= offset && (s.start + s.end) / 2 < offset + duration)
      .map((s) => ({ start: Math.max(0, s.start - offset), end: Math.min(duration, s.end - offset), text: ` ${s.text}` }));
    return { text: segments.map((s) => s.text).join('').trim(), segments, duration };
  };
}

describe('choosing cuts', () => {
  test('cuts in the latest silence within reach, or at the limit when there is none', () => {
    expect(chooseCuts(100, [[20, 21], [38, 39], [70, 72]], 40)).toEqual([
      { start: 0, end: 38.5, cutAtSilence: true },
      { start: 38.5, end: 71, cutAtSilence: true },
      { start: 71, end: 100, cutAtSilence: true },
    ]);
    expect(chooseCuts(90, [], 40)).toEqual([
      { start: 0, end: 40, cutAtSilence: false },
      { start: 40, end: 80, cutAtSilence: false },
      { start: 80, end: 90, cutAtSilence: true },
    ]);
  });
});

describeSpeech(`transcribing real speech${missing.length ? ` — skipped: ${missing.join(' and ')} not installed` : ''}`, () => {
  let dir: string;
  let standIn: OpenAIStandIn;
  let transcriber: StandInTranscriber;
  let short: Recording;
  let long: Recording;
  const seen: Array<{ fileName: string; prompt?: string; offset: number; bytes: number }> = [];
  const whisper = () => createOpenAITranscription({ apiKey: 'test', baseURL: standIn.url, maxRetries: 0 });
  const audioRequests = () => standIn.requests.filter((r) => r.path === '/v1/audio/transcriptions');

  /** Every sentence once, in order, within 0.15 s of when it was said. */
  function expectScript(segments: Array<{ start: number; end: number; text: string }>, rec: Recording): void {
    expect(segments.map((s) => s.text)).toEqual(rec.schedule.map((s) => s.text));
    segments.forEach((s, i) => {
      expect(Math.abs(s.start - rec.schedule[i]!.start)).toBeLessThan(0.15);
      expect(Math.abs(s.end - rec.schedule[i]!.end)).toBeLessThan(0.15);
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-audio-'));
    short = speak(dir, 'short.wav', 1, 22050, 1);
    // 48 kHz stereo: about 192 kB a second, so four rounds of the script pass 25 MB.
    long = speak(dir, 'long.wav', 4, 48000, 2);
    standIn = await startOpenAIStandIn({ transcribe: (audio, request) => transcriber(audio, request), respond: structuredRespond() });
  }, 120_000);
  afterAll(async () => {
    await standIn?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    standIn.requests.length = 0;
    seen.length = 0;
    transcriber = (audio, request) => knowingTranscriber(currentRecording(), seen)(audio, request);
  });
  let recording: Recording;
  const currentRecording = () => recording;
  const use = (r: Recording) => (recording = r);

  test('a short recording goes up whole, with verbose_json segment times', async () => {
    use(short);
    const t = await transcribeAudio(short.file, { model: whisper() });
    expect(audioRequests()).toHaveLength(1);
    expect(audioRequests()[0]!.body).toMatchObject({ model: 'whisper-1', response_format: 'verbose_json', file: { name: 'short.wav' } });
    expect(t.format).toBe('audio');
    expectScript(t.segments, short);
  });

  test('the whole long recording is over the 25 MB limit: the API answers 413', async () => {
    use(long);
    expect((await stat(long.file)).size).toBeGreaterThan(26_214_400);
    const err = await whisper().transcribe({ audio: readFileSync(long.file), fileName: 'long.wav' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).status).toBe(413);
  });

  test('without ffmpeg, a WAV over 25 MB is cut at pauses into WAV pieces and offset into one transcript', async () => {
    use(long);
    const pieces: AudioPieceEvent[] = [];
    const t = await transcribeAudio(long.file, { model: whisper(), ffmpeg: false, concurrency: 2, onPiece: (e) => pieces.push(e) });
    const requests = audioRequests();
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.every((r) => r.status === 200)).toBe(true);
    expect(seen.every((s) => s.bytes < 26_214_400 && s.fileName.endsWith('.wav'))).toBe(true);
    expectScript(t.segments, long);
    // Every cut falls in a pause between sentences, never inside one.
    for (const p of pieces.slice(0, -1)) expect(long.schedule.some((s) => s.start < p.end && p.end < s.end)).toBe(false);
    // Pieces after the first of each run carry the previous piece's closing words as their prompt.
    const prompted = pieces.filter((p) => p.prompt);
    expect(prompted.length).toBe(pieces.length - 2);
    for (const p of prompted) expect(t.segments.filter((s) => s.end <= p.start + 0.01).map((s) => s.text).join(' ')).toContain(p.prompt!.split(' ').slice(-5).join(' '));
  });

  (tools.ffmpeg ? test : test.skip)(`with ffmpeg, pieces are cut at silences found by silencedetect and sent as mono 16 kHz MP3${tools.ffmpeg ? '' : ' — skipped: ffmpeg not installed'}`, async () => {
    use(long);
    const pieces: AudioPieceEvent[] = [];
    const t = await transcribeAudio(long.file, { model: whisper(), maxPieceSeconds: 45, onPiece: (e) => pieces.push(e) });
    expect(pieces.length).toBeGreaterThanOrEqual(4);
    expect(seen.every((s) => s.fileName.endsWith('.mp3'))).toBe(true);
    const uploads: Buffer[] = [];
    const healthy = transcriber;
    transcriber = (audio, request) => {
      uploads.push(audio);
      return healthy(audio, request);
    };
    await transcribeAudio(long.file, { model: whisper(), maxPieceSeconds: 45, concurrency: 1 });
    const piece = path.join(dir, 'uploaded-piece');
    await writeFile(piece, uploads[0]!);
    const probe = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels', '-of', 'csv=p=0', piece]).toString().trim();
    expect(probe).toBe('mp3,16000,1');
    expectScript(t.segments, long);
    for (const p of pieces.slice(0, -1)) expect(long.schedule.some((s) => s.start < p.end && p.end < s.end)).toBe(false);
  });

  (tools.ffmpeg ? test : test.skip)(`with ffmpeg, a WAV over 25 MB whose mono 16 kHz MP3 fits is sent whole, transcoded, not cut${tools.ffmpeg ? '' : ' — skipped: ffmpeg not installed'}`, async () => {
    use(long);
    const pieces: AudioPieceEvent[] = [];
    const t = await transcribeAudio(long.file, { model: whisper(), onPiece: (e) => pieces.push(e) });
    expect(pieces).toHaveLength(1);
    expect(pieces[0]!.bytes).toBeLessThan(4_000_000);
    expect(seen.map((s) => s.fileName)).toEqual(['long.part1.mp3']);
    expectScript(t.segments, long);
  });

  test('finished pieces are kept in Postgres: an interrupted run resumes without sending them again', async () => {
    use(long);
    const db = await freshDatabase('pglite');
    try {
      let calls = 0;
      const healthy = transcriber;
      transcriber = (audio, request) => {
        if (++calls === 3) throw new Error('the network went away');
        return healthy(audio, request);
      };
      await expect(transcribeAudio(long.file, { model: whisper(), ffmpeg: false, maxPieceSeconds: 30, concurrency: 1, pool: db.pool })).rejects.toThrow();
      const first = audioRequests().length;
      expect(first).toBe(3);
      transcriber = healthy;
      standIn.requests.length = 0;
      const resumed: AudioPieceEvent[] = [];
      const t = await transcribeAudio(long.file, { model: whisper(), ffmpeg: false, maxPieceSeconds: 30, concurrency: 1, pool: db.pool, onPiece: (e) => resumed.push(e) });
      expect(resumed.filter((e) => e.resumed)).toHaveLength(2);
      expect(audioRequests()).toHaveLength(resumed.length - 2);
      expectScript(t.segments, long);
    } finally {
      await db.drop();
    }
  });

  test('audio through the pipeline: transcribed, then minutes', async () => {
    use(short);
    const result = await meetingMinutes({
      input: short.file,
      title: 'Budget review',
      transcription: whisper(),
      chat: createOpenAIChat({ apiKey: 'test', baseURL: standIn.url, model: 'gpt-4o-mini', maxRetries: 0 }),
    });
    expect(result.record.transcript.segments.map((s) => s.text)).toEqual(SCRIPT);
    const chat = standIn.requests.find((r) => r.path === '/v1/chat/completions')!;
    expect(JSON.stringify(chat.body)).toContain('[00:00:0');
  });

  test('ragline minutes on a recording: transcribed through the API, minutes and an SRT transcript written', async () => {
    use(short);
    const out = path.join(dir, 'cli-out');
    const { code: status, stderr } = await runCliInProcess(
      ['minutes', short.file, '--out', out, '--format', 'json,srt', '--no-store', '--title', 'Budget review', '--language', 'en', '--vocabulary', 'Aisha, Berlin'],
      { env: { OPENAI_BASE_URL: standIn.url, OPENAI_API_KEY: 'test' } },
    );
    const r = { status, stderr };
    expect(r.stderr).toContain('transcription openai/whisper-1');
    expect(audioRequests()[0]!.body).toMatchObject({ language: 'en', prompt: 'Aisha, Berlin' });
    expect(r.status).toBe(0);
    const json = JSON.parse(readFileSync(path.join(out, 'short.json'), 'utf8')) as { segments: Array<{ start: number; text: string }>; generator: string };
    expect(json.generator).toBe('openai/gpt-4o-mini');
    expectScript(json.segments as Array<{ start: number; end: number; text: string }>, short);
    expect(readFileSync(path.join(out, 'short.srt'), 'utf8')).toContain(`1\n00:00:00,${String(Math.round(short.schedule[0]!.start * 1000)).padStart(3, '0')} -->`);
  });

  test('empty, corrupt and silent audio are clear errors', async () => {
    const empty = path.join(dir, 'empty.wav');
    await writeFile(empty, '');
    await expect(transcribeAudio(empty, { model: whisper() })).rejects.toThrow('empty.wav is empty: there is no audio to transcribe.');
    const corrupt = path.join(dir, 'corrupt.wav');
    await writeFile(corrupt, 'this is not audio at all');
    await expect(transcribeAudio(corrupt, { model: whisper(), ffmpeg: false, maxPieceBytes: 10 })).rejects.toThrow(/not a WAV file/);
    if (tools.ffmpeg) {
      const bad = path.join(dir, 'corrupt.mp3');
      await writeFile(bad, Buffer.alloc(4096, 7));
      await expect(transcribeAudio(bad, { model: whisper() })).rejects.toThrow(InputError);
    }
    const silent = path.join(dir, 'silent.wav');
    execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', silent, 'trim', '0', '2']);
    use(short);
    transcriber = () => ({ text: '', segments: [], duration: 2 });
    await expect(transcribeAudio(silent, { model: whisper() })).rejects.toThrow('silent.wav was transcribed to no text: is there speech in it?');
  });
});

test('without ffmpeg, a compressed file over 25 MB is an error that says what to install', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-big-'));
  try {
    const big = path.join(dir, 'board-meeting.m4a');
    await writeFile(big, '');
    await truncate(big, 30 * 1024 * 1024);
    const model = createOpenAITranscription({ apiKey: 'test', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
    await expect(transcribeAudio(big, { model, ffmpeg: false })).rejects.toThrow(
      'board-meeting.m4a is 31.5 MB, over the 26 MB upload limit, and splitting a .m4a file needs ffmpeg: install it (apt-get install ffmpeg, brew install ffmpeg) or give a WAV file.',
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('piece limits are validated with the value in the message', async () => {
  const model = createOpenAITranscription({ apiKey: 'test', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 });
  await expect(transcribeAudio('meeting.wav', { model, maxPieceSeconds: 0 })).rejects.toThrow('Expected `maxPieceSeconds` to be a positive number, got `0` (number).');
});

test('the transcription model follows the provider; a transcription server works with offline chat', () => {
  expect(resolveTranscriptionModel('local', { env: {} })).toBeUndefined();
  expect(resolveTranscriptionModel('local', { env: { OPENAI_TRANSCRIPTION_BASE_URL: 'http://127.0.0.1:9000/v1' } })).toMatchObject({ provider: 'openai', modelId: 'whisper-1' });
  expect(resolveTranscriptionModel('openai', { apiKey: 'k', env: {}, transcriptionModel: 'gpt-4o-transcribe' })).toMatchObject({ modelId: 'gpt-4o-transcribe', maxDurationSeconds: 1500, maxUploadBytes: 26_214_400 });
});
