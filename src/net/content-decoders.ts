/** Decoding `content-encoding` (gzip, deflate, br) as streams, as leniently as browsers do. */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { FetchError } from '../errors.js';

/**
 * One decoder per coding of a `content-encoding` header, outermost last (so they apply in reverse
 * order). An unsupported coding fails with `FetchError` reason `network`.
 */
export function contentDecoders(url: URL, status: number, header: string | undefined): Transform[] {
  const codings = (header ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  return codings.reverse().map((coding) => {
    switch (coding) {
      case 'gzip':
      case 'x-gzip':
        // Servers often end gzip streams slightly early; be as lenient as browsers.
        return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
      case 'deflate':
        return new DeflateDecoder();
      case 'br':
        return zlib.createBrotliDecompress();
      default:
        throw new FetchError(
          url.href,
          'network',
          `Cannot decode ${url.href}: unsupported content-encoding ${coding}.`,
          { status },
        );
    }
  });
}

/**
 * HTTP `deflate` is meant to be zlib-wrapped (RFC 9110), but some servers send raw deflate.
 * Look at the first two bytes and pick the right inflater, as browsers do.
 */
class DeflateDecoder extends Transform {
  private inflater: zlib.Inflate | zlib.InflateRaw | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.inflater === undefined) {
      const [b0 = 0, b1 = 0] = chunk;
      const isZlib = chunk.length >= 2 && (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
      const inflater = isZlib ? zlib.createInflate() : zlib.createInflateRaw();
      inflater.on('data', (data: Buffer) => this.push(data));
      inflater.on('error', (error) => this.destroy(error));
      this.inflater = inflater;
    }
    // The write callback runs once zlib has consumed the chunk: natural backpressure.
    this.inflater.write(chunk, () => done());
  }

  override _flush(done: TransformCallback): void {
    if (this.inflater === undefined) {
      done();
      return;
    }
    this.inflater.once('end', () => done());
    this.inflater.end();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.inflater?.destroy();
    done(error);
  }
}
