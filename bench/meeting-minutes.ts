/**
 * Meeting-minutes figures: the 73-minute Boston council captions (../shared/corpora) through the
 * OpenAI stand-in with an 8k-window model (map-reduce) and a 128k one (one call); and a spoken
 * recording over 25 MB (espeak-ng + sox) split and transcribed with and without ffmpeg. The stand-in
 * answers instantly, so times are ragline's own work (parsing, packing, splitting, encoding), not a
 * model's.
 *
 *   npm run bench:minutes
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';
import { startOpenAIStandIn } from '../test/stand-in/openai-stand-in.js';
import { structuredRespond } from '../test/stand-in/structured.js';
import { createOpenAIChat } from '../src/models/openai/chat.js';
import { createOpenAITranscription } from '../src/models/openai/transcription.js';
import { parseTranscript } from '../src/meetings/parse-transcript.js';
import { generateMinutes } from '../src/meetings/generate-minutes.js';
import { minutesDocx, minutesJson, minutesMarkdown } from '../src/meetings/render-minutes.js';
import { transcribeAudio } from '../src/meetings/transcribe-audio.js';
import { corpusPath } from '../test/support/corpora.js';

const standIn = await startOpenAIStandIn({ respond: structuredRespond() });
try {
  const boston = corpusPath('transcripts', 'boston_city_council_captions.vtt');
  if (!existsSync(boston)) console.log('Boston captions: skipped, ../shared/corpora is absent');
  else {
    let started = performance.now();
    const transcript = parseTranscript(readFileSync(boston, 'utf8'));
    const parseMs = performance.now() - started;
    console.log(`Boston captions: ${transcript.segments.length} segments, ${(transcript.duration / 60).toFixed(1)} min, parsed in ${parseMs.toFixed(0)} ms`);
    for (const model of ['gpt-4', 'gpt-4o-mini']) {
      standIn.requests.length = 0;
      started = performance.now();
      const chat = createOpenAIChat({ apiKey: 'bench', baseURL: standIn.url, model, maxRetries: 0 });
      const { minutes, stats } = await generateMinutes(transcript, { chat, template: 'board' });
      const record = { title: 'Boston City Council', source: boston, transcript, minutes, generator: `openai/${model}`, createdAt: new Date() };
      const sizes = [minutesMarkdown(record).length, minutesJson(record).length, (await minutesDocx(record)).length];
      const ms = performance.now() - started;
      const failed = standIn.requests.filter((r) => r.status !== 200).length;
      console.log(
        `  ${model} (window ${chat.contextWindow}): ${stats.chunks} chunks, ${stats.calls} calls (${stats.reduceRounds} reduce rounds), ${stats.promptTokens} prompt + ${stats.outputTokens} output tokens, ${failed} failed requests, md/json/docx ${sizes.join('/')} bytes, ${ms.toFixed(0)} ms`,
      );
    }
  }

  const tool = (t: string) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status === 0;
  if (!tool('espeak-ng') || !tool('sox')) console.log('Audio: skipped, espeak-ng or sox is not installed');
  else {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-bench-audio-'));
    try {
      const speech = path.join(dir, 'speech.wav');
      const text = readFileSync(path.join(packageRoot(), 'test/fixtures/transcripts/teams-budget.vtt'), 'utf8').replace(/<[^>]+>|WEBVTT|NOTE[^\n]*|[\d:.]+ --> [^\n]+|[0-9a-f-]{36}\/\d+-\d/g, ' ');
      execFileSync('espeak-ng', ['-w', speech, text]);
      const long = path.join(dir, 'long-meeting.wav');
      // Six repeats at 48 kHz stereo: a recording well over 25 MB.
      execFileSync('sox', [...Array(6).fill(speech), '-r', '48000', '-c', '2', '-b', '16', long]);
      const { size } = await stat(long);
      const model = createOpenAITranscription({ apiKey: 'bench', baseURL: standIn.url, maxRetries: 0 });
      for (const ffmpeg of [false, undefined] as const) {
        standIn.requests.length = 0;
        const started = performance.now();
        let pieces = 0;
        let bytes = 0;
        const t = await transcribeAudio(long, { model, ...(ffmpeg === false ? { ffmpeg } : { maxPieceSeconds: 120 }), onPiece: (e) => ((pieces += 1), (bytes += e.bytes)) });
        const ms = performance.now() - started;
        console.log(
          `Audio ${(size / 1e6).toFixed(1)} MB, ${(t.duration / 60).toFixed(1)} min, ${ffmpeg === false ? 'WAV cut in-process' : 'ffmpeg, mono 16 kHz MP3, pieces ≤ 120 s'}: ${pieces} pieces, ${(bytes / 1e6).toFixed(1)} MB uploaded, ${standIn.requests.filter((r) => r.status === 200).length} requests OK, ${ms.toFixed(0)} ms`,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
} finally {
  await standIn.close();
}
