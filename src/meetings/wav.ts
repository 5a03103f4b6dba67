/**
 * PCM WAV without ffmpeg: read the format and samples' place, measure loudness, cut a file into
 * valid WAV files. Enough to split long WAV recordings at silences on machines without ffmpeg.
 */
import { InputError } from '../errors.js';

/** Where the samples of a WAV file are, and how they are laid out. */
export interface WavInfo {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Byte offset and length of the `data` chunk. */
  dataOffset: number;
  dataLength: number;
  /** Bytes per frame (one sample of every channel). */
  blockAlign: number;
  duration: number;
}

/** Parse a RIFF/WAVE header; throws `InputError` for anything but integer PCM (or float32). */
export function readWavInfo(buf: Buffer, source = 'audio.wav'): WavInfo {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new InputError(source, `${source} is not a WAV file (no RIFF/WAVE header): the file is corrupt or has the wrong extension.`);
  }
  let offset = 12;
  let fmt: { format: number; channels: number; sampleRate: number; blockAlign: number; bits: number } | undefined;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    let size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), sampleRate: buf.readUInt32LE(body + 4), blockAlign: buf.readUInt16LE(body + 12), bits: buf.readUInt16LE(body + 14) };
      if (fmt.format === 0xfffe && size >= 26) fmt.format = buf.readUInt16LE(body + 24);
    } else if (id === 'data') {
      if (!fmt) break;
      // Streamed recordings leave the size unset (0 or 0xFFFFFFFF): the data runs to the end.
      if (size === 0 || size === 0xffffffff || body + size > buf.length) size = buf.length - body;
      if ((fmt.format !== 1 && fmt.format !== 3) || fmt.channels < 1 || fmt.blockAlign < 1 || fmt.sampleRate < 1) {
        throw new InputError(source, `${source} is a WAV file ragline cannot split without ffmpeg (format ${fmt.format}); install ffmpeg.`);
      }
      return { channels: fmt.channels, sampleRate: fmt.sampleRate, bitsPerSample: fmt.bits, dataOffset: body, dataLength: size - (size % fmt.blockAlign), blockAlign: fmt.blockAlign, duration: Math.floor(size / fmt.blockAlign) / fmt.sampleRate };
    }
    offset = body + size + (size % 2);
  }
  throw new InputError(source, `${source} has no audio data: the WAV file is empty or corrupt.`);
}

/** Loudness (RMS of the first channel, 0..1) of consecutive windows of `windowSeconds`. */
export function wavLoudness(buf: Buffer, info: WavInfo, windowSeconds = 0.05): number[] {
  const frames = Math.floor(info.dataLength / info.blockAlign);
  const per = Math.max(1, Math.round(info.sampleRate * windowSeconds));
  const read = (frame: number): number => {
    const at = info.dataOffset + frame * info.blockAlign;
    switch (info.bitsPerSample) {
      case 8:
        return (buf.readUInt8(at) - 128) / 128;
      case 16:
        return buf.readInt16LE(at) / 32768;
      case 24:
        return buf.readIntLE(at, 3) / 8388608;
      case 32:
        return info.blockAlign / info.channels === 4 && buf.readInt32LE(at) !== 0 && Math.abs(buf.readFloatLE(at)) <= 1.5 ? buf.readFloatLE(at) : buf.readInt32LE(at) / 2147483648;
      default:
        return 0;
    }
  };
  const out: number[] = [];
  for (let start = 0; start < frames; start += per) {
    let sum = 0;
    const end = Math.min(frames, start + per);
    for (let f = start; f < end; f++) sum += read(f) ** 2;
    out.push(Math.sqrt(sum / (end - start)));
  }
  return out;
}

/** Silences (≥ `minSeconds` below `threshold` RMS) of a WAV file, as [start, end] seconds. */
export function wavSilences(buf: Buffer, info: WavInfo, options: { threshold?: number; minSeconds?: number } = {}): Array<[number, number]> {
  const window = 0.05;
  const loud = wavLoudness(buf, info, window);
  const threshold = options.threshold ?? 0.02;
  const min = options.minSeconds ?? 0.3;
  const out: Array<[number, number]> = [];
  let from: number | undefined;
  loud.forEach((rms, i) => {
    if (rms < threshold) from ??= i;
    else if (from !== undefined) {
      if ((i - from) * window >= min) out.push([from * window, i * window]);
      from = undefined;
    }
  });
  if (from !== undefined && (loud.length - from) * window >= min) out.push([from * window, info.duration]);
  return out;
}

/** A WAV file holding the frames between `start` and `end` seconds of the original. */
export function sliceWav(buf: Buffer, info: WavInfo, start: number, end: number): Buffer {
  const first = Math.max(0, Math.round(start * info.sampleRate)) * info.blockAlign;
  const last = Math.min(info.dataLength, Math.round(end * info.sampleRate) * info.blockAlign);
  const data = buf.subarray(info.dataOffset + first, info.dataOffset + Math.max(first, last));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(info.bitsPerSample === 32 && buf.readUInt16LE(20) === 3 ? 3 : 1, 20);
  header.writeUInt16LE(info.channels, 22);
  header.writeUInt32LE(info.sampleRate, 24);
  header.writeUInt32LE(info.sampleRate * info.blockAlign, 28);
  header.writeUInt16LE(info.blockAlign, 32);
  header.writeUInt16LE(info.bitsPerSample, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
