/**
 * Bulk writes with binary COPY: rows are encoded in PostgreSQL's binary COPY format and streamed
 * with `COPY ... FROM STDIN (FORMAT binary)` (pg-copy-streams) to a server, or handed to the
 * embedded database as a blob it reads with `COPY ... FROM '/dev/blob'`. Vectors go from a
 * Float32Array straight to pgvector's binary form — int16 dimensions, int16 unused (0), then the
 * dimensions as big-endian float4 — without ever becoming decimal text that Postgres would parse
 * (in WASM, parsing text vectors was most of an embedded ingest's write time).
 */
import { endianness } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EmbeddedChunk } from '../types.js';
import { StoreError } from '../errors.js';
import { sqlInt } from './vector-sql.js';
import { chunkKeywords } from '../text/keywords.js';
import { encodeTsvector } from './encode-tsvector.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** `text` type OID, the element type of a binary `text[]`. */
const TEXT_OID = 25;
/** jsonb's binary format version byte. */
const JSONB_VERSION = 1;
/** Encoded rows are handed to the socket in pieces of about this size. */
const FLUSH_BYTES = 1 << 20;
/** One blob COPY into the embedded database holds about this much at most; more rows take more COPYs. */
const BLOB_BYTES = 16 << 20;

/**
 * Runs `sql` (a `COPY ... FROM '/dev/blob'`) on the embedded database with `blob` as the file it
 * reads, in the session of the pool's one connection (so inside its open transaction).
 * @returns the rows copied
 */
export type BlobCopy = (sql: string, blob: Blob) => Promise<number>;

const blobCopies = new WeakMap<pg.Pool, BlobCopy>();

/** Let binary COPYs to `pool` go through `copy`: the embedded database registers its pool when opened. */
export function registerBlobCopy(pool: pg.Pool, copy: BlobCopy): void {
  blobCopies.set(pool, copy);
}

/**
 * How `pool` takes a binary COPY: `'stream'` (a server: COPY FROM STDIN), a {@link BlobCopy} (the
 * embedded database opened by ragline), or undefined (a pool that takes neither: INSERTs).
 */
export function copyRoute(pool: pg.Pool): 'stream' | BlobCopy | undefined {
  return supportsCopy(pool) ? 'stream' : blobCopies.get(pool);
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** The pgvector binary form of a vector: int16 dims, int16 0, dims × big-endian float4. */
export function encodeVector(v: Float32Array | readonly number[]): Buffer {
  if (v.length > 16_000) throw new StoreError(`A vector of ${v.length} dimensions is more than pgvector's 16000.`);
  const buf = Buffer.allocUnsafe(4 + 4 * v.length);
  buf.writeInt16BE(v.length, 0);
  buf.writeInt16BE(0, 2);
  if (v instanceof Float32Array) {
    // The float32s' bytes copied at once, then byte-swapped natively to big-endian.
    Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(buf, 4);
    if (LITTLE_ENDIAN) buf.subarray(4).swap32();
  } else for (let i = 0; i < v.length; i++) buf.writeFloatBE(v[i] as number, 4 + 4 * i);
  return buf;
}

/** Read back {@link encodeVector}'s format (for tests and tools). */
export function decodeVector(buf: Buffer): Float32Array {
  const dims = buf.readInt16BE(0);
  const out = new Float32Array(dims);
  const bytes = Buffer.from(out.buffer);
  buf.copy(bytes, 0, 4, 4 + 4 * dims);
  if (LITTLE_ENDIAN) bytes.swap32();
  return out;
}

/**
 * Writes tuples in PostgreSQL's binary COPY format: a header, then per tuple an int16 field count
 * and each field as int32 length + bytes, then an int16 -1 trailer. `take()` hands over what is
 * encoded so far, so large loads stream in bounded memory.
 */
export class BinaryCopyWriter {
  private parts: Buffer[] = [SIGNATURE, Buffer.alloc(8)];
  private size = SIGNATURE.length + 8;

  /** Start a tuple of `fields` fields. */
  row(fields: number): this {
    return this.push(int16(fields));
  }

  int4(n: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeInt32BE(4, 0);
    b.writeInt32BE(n, 4);
    return this.push(b);
  }

  /** A `bigint` (ids) from a safe integer. */
  int8(n: number): this {
    const b = Buffer.allocUnsafe(12);
    b.writeInt32BE(8, 0);
    b.writeBigInt64BE(BigInt(n), 4);
    return this.push(b);
  }

  text(s: string): this {
    return this.field(Buffer.from(s, 'utf8'));
  }

  /** A one-dimensional `text[]` without NULLs. */
  textArray(items: readonly string[]): this {
    const encoded = items.map((s) => Buffer.from(s, 'utf8'));
    const header = Buffer.allocUnsafe(items.length === 0 ? 12 : 20);
    header.writeInt32BE(items.length === 0 ? 0 : 1, 0); // dimensions
    header.writeInt32BE(0, 4); // has NULLs
    header.writeInt32BE(TEXT_OID, 8);
    if (items.length > 0) {
      header.writeInt32BE(items.length, 12);
      header.writeInt32BE(1, 16); // lower bound
    }
    const body = encoded.flatMap((b) => [int32(b.length), b]);
    return this.field(Buffer.concat([header, ...body]));
  }

  jsonb(value: unknown): this {
    return this.field(Buffer.concat([Buffer.from([JSONB_VERSION]), Buffer.from(JSON.stringify(value), 'utf8')]));
  }

  vector(v: Float32Array | readonly number[]): this {
    return this.field(encodeVector(v));
  }

  /** Bytes encoded and not yet taken. */
  get pending(): number {
    return this.size;
  }

  /** The bytes encoded since the last call. */
  take(): Buffer {
    const out = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    return out;
  }

  /** The trailer and whatever is left. */
  end(): Buffer {
    this.push(int16(-1));
    return this.take();
  }

  /** A field already in the column type's binary form. */
  field(bytes: Buffer): this {
    this.push(int32(bytes.length));
    return this.push(bytes);
  }

  private push(b: Buffer): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }
}

function int16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeInt16BE(n, 0);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n, 0);
  return b;
}

/**
 * Write rows with `COPY <target> ... (FORMAT binary)`, each row encoded by `encodeRow`: streamed
 * from STDIN on `client`, or, with `via`, handed to the embedded database as blobs of at most
 * ~16 MiB. Runs inside whatever transaction the client is in.
 * @returns the number of rows copied
 */
export async function copyBinary<T>(client: pg.PoolClient, target: string, rows: Iterable<T>, encodeRow: (w: BinaryCopyWriter, row: T) => void, via?: BlobCopy): Promise<number> {
  try {
    return via ? await copyBlobs(via, target, rows, encodeRow) : await copyStream(client, target, rows, encodeRow);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`Binary COPY into ${target} failed: ${(err as Error).message}`, { cause: err });
  }
}

async function copyStream<T>(client: pg.PoolClient, target: string, rows: Iterable<T>, encodeRow: (w: BinaryCopyWriter, row: T) => void): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${target} FROM STDIN (FORMAT binary)`));
  function* encode(): Generator<Buffer> {
    const w = new BinaryCopyWriter();
    for (const row of rows) {
      encodeRow(w, row);
      if (w.pending >= FLUSH_BYTES) yield w.take();
    }
    yield w.end();
  }
  await pipeline(Readable.from(encode(), { objectMode: false }), stream);
  return stream.rowCount;
}

async function copyBlobs<T>(via: BlobCopy, target: string, rows: Iterable<T>, encodeRow: (w: BinaryCopyWriter, row: T) => void): Promise<number> {
  const sql = `COPY ${target} FROM '/dev/blob' WITH (FORMAT binary)`;
  let copied = 0;
  let w = new BinaryCopyWriter();
  let empty = true;
  for (const row of rows) {
    encodeRow(w, row);
    empty = false;
    if (w.pending >= BLOB_BYTES) {
      copied += await via(sql, new Blob([w.end()]));
      [w, empty] = [new BinaryCopyWriter(), true];
    }
  }
  if (!empty) copied += await via(sql, new Blob([w.end()]));
  return copied;
}

/** The chunks of one document, as {@link copyChunks} writes them. */
export interface DocumentChunks {
  documentId: number;
  /** The document title, weighted with the heading path in the keyword-search vector. */
  title: string;
  chunks: readonly EmbeddedChunk[];
}

/** Columns of `chunks` that a COPY fills, in order. */
const CHUNK_COLUMNS = 'collection_id, document_id, ordinal, text, token_count, heading_path, text_hash, metadata, embedding, tsv';

/**
 * Insert documents' chunks with one binary COPY straight into `chunks`, keyword vectors analysed
 * here (see text/keywords.ts). Call it inside the transaction that deleted the documents' old chunks:
 * readers see the old chunks or the new ones, never a mix, and a COPY that fails half-way rolls
 * back with the rest. (A staging table adds nothing to that isolation and doubled the server's
 * work per row: see bench/copy.ts.)
 * @returns the number of chunks inserted
 */
export async function copyChunks(client: pg.PoolClient, collectionId: number, documents: readonly DocumentChunks[], via?: BlobCopy): Promise<number> {
  const rows = documents.flatMap((d) => d.chunks.map((c) => [d, c] as const));
  if (rows.length === 0) return 0;
  const encodeRow = (w: BinaryCopyWriter, [d, c]: (typeof rows)[number]): void => {
    w.row(10).int8(collectionId).int8(d.documentId).int4(c.ordinal).text(c.text).int4(c.tokenCount).textArray(c.headingPath).text(c.textHash).jsonb(c.metadata).vector(c.embedding);
    w.field(encodeTsvector(c.keywords ?? chunkKeywords(d.title, c.headingPath, c.text)));
  };
  return copyBinary(client, `chunks (${CHUNK_COLUMNS})`, rows, encodeRow, via);
}
/**
 * Whether a pool speaks to a real server that accepts COPY FROM STDIN. The embedded database
 * (PGlite behind `createPgConfig`) brings its own in-process connection and dies on COPY's
 * sub-protocol: it takes binary COPY as a blob instead ({@link copyRoute}).
 */
export function supportsCopy(pool: pg.Pool): boolean {
  return (pool.options as { connection?: unknown }).connection === undefined;
}
