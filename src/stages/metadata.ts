/**
 * Metadata on chunks: a stage that tags every chunk of a source (`{ product: 'api', version: '3.14' }`)
 * so that searches can be filtered on it later (`searchChunks(..., { filter: { product: 'api' } })`).
 */
import { createHash } from 'node:crypto';
import { ConfigError, describeValue } from '../errors.js';
import type { ChunkedDocument } from '../types.js';

/** Metadata stored with chunks, as jsonb: an object of JSON values. */
export type ChunkMetadata = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

function checkJsonValue(value: unknown, where: string): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number' && Number.isFinite(value)) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJsonValue(v, `${where}[${i}]`));
    return;
  }
  if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) checkJsonValue(v, `${where}.${k}`);
    return;
  }
  throw new ConfigError(where, value, `Expected \`${where}\` to be a JSON value (string, finite number, boolean, null, array or object), got ${describeValue(value)}.`);
}

/**
 * Check that `metadata` is an object of JSON values, as chunk metadata and search filters must be.
 * @param name the option's name, used in the error message
 * @returns the metadata, unchanged
 */
export function checkMetadata(metadata: unknown, name = 'metadata'): ChunkMetadata {
  if (!isPlainObject(metadata)) {
    throw new ConfigError(name, metadata, `Expected \`${name}\` to be an object of JSON values, like { "product": "api", "version": "3.14" }, got ${describeValue(metadata)}.`);
  }
  for (const [k, v] of Object.entries(metadata)) checkJsonValue(v, `${name}.${k}`);
  return metadata;
}

/** JSON with object keys sorted at every level: equal metadata, equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The fingerprint stored with each document (and compared by `skipUnchanged` and the crawl state)
 * when its chunks carry `metadata`: the chunking fingerprint, plus a hash of the metadata when
 * there is any. A page stored with other metadata is then not "unchanged", so a re-ingest rewrites
 * its chunks with the new metadata — reusing their vectors, since the embedded text is the same.
 * Without metadata (or with `{}`) it is `chunking` itself, so existing documents stay current.
 */
export function metadataFingerprint(chunking: string, metadata: ChunkMetadata | undefined): string {
  if (metadata === undefined || Object.keys(metadata).length === 0) return chunking;
  const hash = createHash('sha256').update(canonicalJson(metadata)).digest('hex').slice(0, 16);
  return `${chunking};metadata=${hash}`;
}

/**
 * The metadata stage, between `chunk` and `embed`: `metadata` is merged into every chunk's own
 * (its keys win). Metadata is not embedded: vectors and the embedding cache are unaffected.
 */
export async function* addMetadata(docs: AsyncIterable<ChunkedDocument>, metadata: ChunkMetadata): AsyncGenerator<ChunkedDocument> {
  checkMetadata(metadata);
  const empty = Object.keys(metadata).length === 0;
  for await (const doc of docs) {
    yield empty ? doc : { ...doc, chunks: doc.chunks.map((c) => ({ ...c, metadata: { ...c.metadata, ...metadata } })) };
  }
}
