/** Reading a response body under a size limit on the bytes on the wire and on the decoded bytes. */
import type http from 'node:http';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FetchError } from '../errors.js';
import { contentDecoders } from './content-decoders.js';

/**
 * Read the body of `res` (the response for `url`), decoding its content-encodings. A declared
 * `content-length` over `maxBytes` is refused before reading; a body, raw or decoded, that grows
 * past it is aborted (`FetchError` reason `too-large`). The response is destroyed on failure.
 *
 * With `readAtMost`, only the first `readAtMost` decoded bytes are read (`truncated` says whether
 * there was more), whatever the declared length, and the connection is closed there.
 */
export async function readBody(
  url: URL,
  res: http.IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
  readAtMost?: number,
): Promise<{ body: Buffer; bytes: number; truncated: boolean }> {
  if (readAtMost !== undefined) return readPrefix(url, res, readAtMost, signal);
  const status = res.statusCode ?? 0;
  const tooLarge = (what: string) =>
    new FetchError(
      url.href,
      'too-large',
      `Stopped reading ${url.href}: ${what} exceeds maxBytes (${maxBytes} bytes).`,
      { status },
    );
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooLarge(`the declared content-length ${declared}`);
  }
  let decoders: Transform[];
  try {
    decoders = contentDecoders(url, status, res.headers['content-encoding']);
  } catch (error) {
    res.destroy();
    throw error;
  }
  const chunks: Buffer[] = [];
  const decoded = new ByteLimit(maxBytes, () => tooLarge('the decoded body'));
  await pipeline(
    res,
    new ByteLimit(maxBytes, () => tooLarge('the body')),
    ...decoders,
    decoded,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
    { signal },
  );
  const bytes = decoded.bytes;
  return { body: Buffer.concat(chunks, bytes), bytes, truncated: false };
}

/** Thrown inside the pipeline of {@link readPrefix} once it has read enough. */
class Enough extends Error {}

/** The first `limit` decoded bytes of the body of `res`; the rest is not read. */
async function readPrefix(
  url: URL,
  res: http.IncomingMessage,
  limit: number,
  signal: AbortSignal,
): Promise<{ body: Buffer; bytes: number; truncated: boolean }> {
  let decoders: Transform[];
  try {
    decoders = contentDecoders(url, res.statusCode ?? 0, res.headers['content-encoding']);
  } catch (error) {
    res.destroy();
    throw error;
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  const collect = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const kept = chunk.subarray(0, limit - bytes);
      chunks.push(kept);
      bytes += kept.length;
      if (bytes < limit) return done();
      // Enough read: whether more was coming is all that is left to know.
      truncated = kept.length < chunk.length || res.readableLength > 0 || !res.complete;
      done(new Enough());
    },
  });
  try {
    await pipeline([res, ...decoders, collect], { signal });
  } catch (error) {
    if (!(error instanceof Enough)) throw error;
    res.destroy();
  }
  return { body: Buffer.concat(chunks, bytes), bytes, truncated };
}

/** Passes bytes through and fails with `onExceeded()` once more than `limit` bytes went by. */
class ByteLimit extends Transform {
  /** Bytes seen so far. */
  bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly onExceeded: () => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) done(this.onExceeded());
    else done(null, chunk);
  }
}
