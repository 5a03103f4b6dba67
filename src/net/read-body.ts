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
 */
export async function readBody(
  url: URL,
  res: http.IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ body: Buffer; bytes: number }> {
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
  return { body: Buffer.concat(chunks, bytes), bytes };
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
