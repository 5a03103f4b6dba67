/**
 * Cutting long audio into pieces the transcription API accepts — under its upload size and
 * duration limits — at silences rather than mid-word. ffmpeg (when on PATH) finds the silences
 * (`silencedetect`) and encodes each piece as mono 16 kHz MP3, the rate speech models work at;
 * WAV files are measured and cut in-process when ffmpeg is missing. A compressed file over the
 * limit without ffmpeg is an error that says what to install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { readWavInfo, sliceWav, wavSilences } from './wav.js';

/** One piece of audio to transcribe. */
export interface AudioPiece {
  index: number;
  /** Seconds from the start of the original. */
  start: number;
  end: number;
  /** Whether the cut that ends this piece falls in a silence (false: no silence was found in reach). */
  cutAtSilence: boolean;
  /** The bytes to upload, and a file name whose extension says their format. */
  load(): Promise<{ audio: Buffer; fileName: string }>;
}

/** How a file is to be cut. */
export interface AudioPlan {
  file: string;
  duration: number;
  /** `copy`: the file is uploaded as it is; `transcode`: ffmpeg re-encodes; `wav`: cut in-process. */
  method: 'copy' | 'transcode' | 'wav';
  pieces: AudioPiece[];
}

/** Options of {@link planAudio}. */
export interface PlanAudioOptions {
  /** Largest upload in bytes. */
  maxBytes: number;
  /** Longest piece in seconds. @default no limit but the size */
  maxSeconds?: number;
  /**
   * The ffmpeg executable, or false to do without it.
   * @default 'ffmpeg' when it runs
   */
  ffmpeg?: string | false;
  /** Loudness under which audio counts as silence, in dBFS. @default -35 */
  silenceDb?: number;
  /** Shortest pause to cut in, in seconds. @default 0.3 */
  minSilenceSeconds?: number;
}

/** MP3 at 64 kbit/s: what a second of transcoded speech costs, with room for frame headers. */
const TRANSCODED_BYTES_PER_SECOND = 8_200;

/** Whether `ffmpeg` can be run (cached per executable). */
const available = new Map<string, boolean>();
export function ffmpegAvailable(executable = 'ffmpeg'): boolean {
  if (!available.has(executable)) {
    const r = spawnSync(executable, ['-version'], { stdio: 'ignore' });
    available.set(executable, r.status === 0);
  }
  return available.get(executable)!;
}

function run(executable: string, args: string[]): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ stdout: Buffer.concat(out), stderr: err }) : reject(new Error(`${path.basename(executable)} exited with ${code}: ${err.trim().split('\n').slice(-2).join(' ')}`))));
  });
}

/**
 * Cut points between pieces: the middle of the latest silence in the second half of each reach of
 * `maxSeconds`; where none is in reach, at `maxSeconds` (and that piece says so).
 */
export function chooseCuts(duration: number, silences: ReadonlyArray<readonly [number, number]>, maxSeconds: number): Array<{ start: number; end: number; cutAtSilence: boolean }> {
  const pieces: Array<{ start: number; end: number; cutAtSilence: boolean }> = [];
  let start = 0;
  while (duration - start > maxSeconds) {
    const limit = start + maxSeconds;
    const candidates = silences.map(([a, b]) => (a + b) / 2).filter((mid) => mid > start + maxSeconds / 2 && mid < limit);
    const cut = candidates.at(-1);
    pieces.push({ start, end: cut ?? limit, cutAtSilence: cut !== undefined });
    start = cut ?? limit;
  }
  pieces.push({ start, end: duration, cutAtSilence: true });
  return pieces;
}

async function probeDuration(ffmpeg: string, file: string): Promise<number> {
  const ffprobe = ffmpeg.includes(path.sep) ? path.join(path.dirname(ffmpeg), 'ffprobe') : 'ffprobe';
  try {
    const { stdout } = await run(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', file]);
    const d = Number(stdout.toString().trim());
    if (Number.isFinite(d) && d > 0) return d;
  } catch {
    // fall through to decoding, below
  }
  // No ffprobe, or a container without a duration: decode and read the time ffmpeg reached.
  const { stderr } = await run(ffmpeg, ['-hide_banner', '-nostats', '-i', file, '-f', 'null', '-']).catch((err: Error) => {
    throw new InputError(file, `${path.basename(file)} could not be decoded as audio (${err.message}): the file is corrupt or not audio.`, { cause: err });
  });
  const times = [...stderr.matchAll(/time=(\d+):(\d+):(\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]));
  const d = times.at(-1);
  if (!d) throw new InputError(file, `${path.basename(file)} holds no audio.`);
  return d;
}

async function detectSilences(ffmpeg: string, file: string, db: number, min: number): Promise<Array<[number, number]>> {
  const { stderr } = await run(ffmpeg, ['-hide_banner', '-nostats', '-i', file, '-af', `silencedetect=noise=${db}dB:d=${min}`, '-f', 'null', '-']);
  const out: Array<[number, number]> = [];
  let from: number | undefined;
  for (const m of stderr.matchAll(/silence_(start|end): (-?\d+(?:\.\d+)?)/g)) {
    if (m[1] === 'start') from = Math.max(0, Number(m[2]));
    else if (from !== undefined) {
      out.push([from, Number(m[2])]);
      from = undefined;
    }
  }
  return out;
}

/**
 * Decide how to upload `file`: as it is when it is within both limits; else in pieces cut at
 * silences. Throws `InputError` for corrupt or empty audio, and for a compressed file over the
 * limit when ffmpeg is missing.
 */
export async function planAudio(file: string, options: PlanAudioOptions): Promise<AudioPlan> {
  const { size } = await stat(file);
  if (size === 0) throw new InputError(file, `${path.basename(file)} is empty: there is no audio to transcribe.`);
  const ext = path.extname(file).slice(1).toLowerCase();
  const ffmpeg = options.ffmpeg === false ? undefined : (options.ffmpeg ?? 'ffmpeg');
  const hasFfmpeg = ffmpeg !== undefined && ffmpegAvailable(ffmpeg);
  const maxSeconds = options.maxSeconds ?? Infinity;
  const minSilence = options.minSilenceSeconds ?? 0.3;
  const silenceDb = options.silenceDb ?? -35;
  const whole = (duration: number): AudioPlan => ({
    file,
    duration,
    method: 'copy',
    pieces: [{ index: 0, start: 0, end: duration, cutAtSilence: true, load: async () => ({ audio: await readFile(file), fileName: path.basename(file) }) }],
  });

  if (ext === 'wav' && !hasFfmpeg) {
    const buf = await readFile(file);
    const info = readWavInfo(buf, path.basename(file));
    if (info.dataLength === 0) throw new InputError(file, `${path.basename(file)} holds no audio samples.`);
    if (size <= options.maxBytes && info.duration <= maxSeconds) return whole(info.duration);
    const bytesPerSecond = info.sampleRate * info.blockAlign;
    const reach = Math.min(maxSeconds, ((options.maxBytes - 1024) / bytesPerSecond) * 0.98);
    const silences = wavSilences(buf, info, { threshold: 10 ** (silenceDb / 20), minSeconds: minSilence });
    const base = path.basename(file, path.extname(file));
    return {
      file,
      duration: info.duration,
      method: 'wav',
      pieces: chooseCuts(info.duration, silences, reach).map((p, index) => ({ ...p, index, load: async () => ({ audio: sliceWav(buf, info, p.start, p.end), fileName: `${base}.part${index + 1}.wav` }) })),
    };
  }
  if (!hasFfmpeg) {
    if (size <= options.maxBytes && maxSeconds === Infinity) return whole(NaN);
    if (size <= options.maxBytes) {
      // Within the size limit; the duration cannot be measured without ffmpeg, so the server judges it.
      return whole(NaN);
    }
    throw new InputError(file, `${path.basename(file)} is ${(size / 1e6).toFixed(1)} MB, over the ${(options.maxBytes / 1e6).toFixed(0)} MB upload limit, and splitting a .${ext} file needs ffmpeg: install it (apt-get install ffmpeg, brew install ffmpeg) or give a WAV file.`);
  }
  const duration = await probeDuration(ffmpeg!, file);
  if (size <= options.maxBytes && duration <= maxSeconds) return whole(duration);
  // Transcoding to mono 16 kHz MP3 may be all it takes; otherwise also cut at silences.
  const reach = Math.min(maxSeconds, ((options.maxBytes - 4096) / TRANSCODED_BYTES_PER_SECOND) * 0.98);
  const silences = duration > reach ? await detectSilences(ffmpeg!, file, silenceDb, minSilence) : [];
  const base = path.basename(file, path.extname(file));
  return {
    file,
    duration,
    method: 'transcode',
    pieces: chooseCuts(duration, silences, reach).map((p, index) => ({
      ...p,
      index,
      load: async () => {
        const { stdout } = await run(ffmpeg!, ['-hide_banner', '-loglevel', 'error', '-ss', p.start.toFixed(3), '-i', file, '-t', (p.end - p.start).toFixed(3), '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3', 'pipe:1']);
        return { audio: stdout, fileName: `${base}.part${index + 1}.mp3` };
      },
    })),
  };
}
