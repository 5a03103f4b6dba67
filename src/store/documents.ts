import type pg from 'pg';
import type { EmbeddedDocument } from '../types.js';
import type { EmbeddingModel } from '../models/spec.js';
import type { Collection } from './collections.js';
import { toVectorText } from './vector-sql.js';
import { StoreError } from '../errors.js';
import { copyChunks, copyRoute, decodeVector, type BlobCopy } from './copy.js';
import { withTransaction } from './transaction.js';
import { chunkKeywords, tsvectorText } from '../text/keywords.js';
import { splitBy } from '../iter/batch-by.js';

/** What the store remembers about a document, to decide whether it changed. */
export interface StoredDocumentState {
  contentHash: string;
  chunking: string;
}

/** The stored state of one document, if any. */
export async function getDocumentState(pool: pg.Pool, collectionId: number, source: string): Promise<StoredDocumentState | undefined> {
  const { rows } = await pool.query<{ content_hash: string; chunking: string }>(
    'SELECT content_hash, chunking FROM documents WHERE collection_id = $1 AND source = $2',
    [collectionId, source],
  );
  return rows[0] ? { contentHash: rows[0].content_hash, chunking: rows[0].chunking } : undefined;
}

/** Record that an unchanged document was seen again. */
export async function touchDocument(pool: pg.Pool, collectionId: number, source: string, fetchedAt: Date): Promise<void> {
  await pool.query('UPDATE documents SET fetched_at = $3 WHERE collection_id = $1 AND source = $2', [collectionId, source, fetchedAt]);
}

/**
 * Vectors already stored for these embedding inputs (by sha256) with the same provider, model and
 * dimensions, in any collection: the same text is never paid for twice.
 */
export async function findCachedEmbeddings(pool: pg.Pool, model: EmbeddingModel, textHashes: readonly string[]): Promise<Map<string, Float32Array>> {
  const found = new Map<string, Float32Array>();
  if (textHashes.length === 0) return found;
  // vector_send: the vectors come back in pgvector's binary form, float4 for float4, no decimal text.
  const { rows } = await pool.query<{ text_hash: string; embedding: Buffer }>(
    `SELECT DISTINCT ON (k.text_hash) k.text_hash, vector_send(k.embedding) AS embedding
       FROM chunks k JOIN collections c ON c.id = k.collection_id
      WHERE c.embedding_provider = $1 AND c.embedding_model = $2 AND c.dimensions = $3 AND k.text_hash = ANY($4::text[])`,
    [model.provider, model.modelId, model.dimensions, textHashes],
  );
  for (const r of rows) found.set(r.text_hash, decodeVector(r.embedding));
  return found;
}

/**
 * Write a document and replace all its chunks in one transaction: readers see the old chunks or
 * the new ones, never a mix, and a crash half-way leaves the old ones.
 * @returns the document id
 */
export async function replaceDocument(pool: pg.Pool, collection: Collection, doc: EmbeddedDocument, chunking: string): Promise<number> {
  return (await replaceDocuments(pool, collection, [doc], chunking))[0]!;
}

/** A document as written by {@link writeDocuments}. */
export interface WrittenDocument {
  id: number;
  /** Whether the document was new to the collection (false: it replaced a stored version). */
  created: boolean;
}

/**
 * Write several documents and replace all their chunks in one transaction — one COPY and one
 * commit for the lot, which is where bulk loads spend their time.
 * @returns the document ids, in the order of `docs`
 */
export async function replaceDocuments(pool: pg.Pool, collection: Collection, docs: readonly EmbeddedDocument[], chunking: string): Promise<number[]> {
  return (await writeDocuments(pool, collection, docs, chunking)).map((d) => d.id);
}

/**
 * {@link replaceDocuments}, telling which documents were new. The chunks travel by binary COPY
 * (vectors as float4, never decimal text): streamed to a Postgres server, as blobs to the embedded
 * database; a pool that takes neither (not opened by ragline) gets `unnest` INSERTs of a bounded
 * number of chunks each.
 * @returns one entry per document, in the order of `docs`
 */
export async function writeDocuments(pool: pg.Pool, collection: Collection, docs: readonly EmbeddedDocument[], chunking: string): Promise<WrittenDocument[]> {
  if (docs.length === 0) return [];
  const sources = docs.map((d) => d.document.url);
  const repeated = sources.find((s, i) => sources.indexOf(s) !== i);
  if (repeated) throw new StoreError(`The document ${repeated} appears twice in one write: pass each source once.`);
  // Checked here, not by the database: a collection without its HNSW index (small, or a bulk
  // load) has no cast to its dimensions that would refuse a vector of another length.
  for (const d of docs) {
    const bad = d.chunks.find((c) => c.embedding.length !== collection.dimensions);
    if (bad) {
      throw new StoreError(
        `Chunk ${bad.ordinal} of ${d.document.url} has a ${bad.embedding.length}-d vector, but collection "${collection.name}" holds ${collection.dimensions}-d vectors: embed it with the collection's model (${collection.embeddingModel}).`,
      );
    }
  }
  const copy = copyRoute(pool);
  return withTransaction(pool, (client) => writeInTransaction(client, collection, docs, chunking, copy));
}

/** The documents' upsert, their old chunks' removal and their new chunks, in one transaction. */
async function writeInTransaction(client: pg.PoolClient, collection: Collection, docs: readonly EmbeddedDocument[], chunking: string, copy: 'stream' | BlobCopy | undefined): Promise<WrittenDocument[]> {
  const sources = docs.map((d) => d.document.url);
  // Sorted by source, so that two writers upserting overlapping pages lock them in one order.
  // The stored sources are read in the statement's snapshot, before its own upsert.
  const { rows } = await client.query<{ id: string; source: string; created: boolean }>(
    `WITH before AS (SELECT source FROM documents WHERE collection_id = $1 AND source = ANY($3::text[])), d AS (
     INSERT INTO documents (collection_id, source, title, content_type, content_hash, chunking, chunk_count, token_count, fetched_at, updated_at)
     SELECT $1, d.source, d.title, d.content_type, d.content_hash, $2, d.chunk_count, d.token_count, d.fetched_at, now()
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::timestamptz[])
            AS d(source, title, content_type, content_hash, chunk_count, token_count, fetched_at)
      ORDER BY d.source
     ON CONFLICT (collection_id, source) DO UPDATE SET
       title = EXCLUDED.title, content_type = EXCLUDED.content_type, content_hash = EXCLUDED.content_hash,
       chunking = EXCLUDED.chunking, chunk_count = EXCLUDED.chunk_count, token_count = EXCLUDED.token_count,
       fetched_at = EXCLUDED.fetched_at, updated_at = now()
     RETURNING id, source
     )
     SELECT id, source, source NOT IN (SELECT source FROM before) AS created FROM d`,
    [
      collection.id,
      chunking,
      sources,
      docs.map((d) => d.document.title),
      docs.map((d) => d.document.contentType),
      docs.map((d) => d.document.contentHash),
      docs.map((d) => d.chunks.length),
      docs.map((d) => d.chunks.reduce((n, c) => n + c.tokenCount, 0)),
      docs.map((d) => d.document.fetchedAt),
    ],
  );
  const bySource = new Map(rows.map((r) => [r.source, { id: Number(r.id), created: r.created }]));
  const written = sources.map((s) => bySource.get(s)!);
  const ids = written.map((w) => w.id);
  // The old chunks go in a statement of their own. The upsert holds the documents' rows now, and a
  // writer that waited for them to be released sees, in this new snapshot, the chunks the previous
  // holder committed; in the upsert's own snapshot it would miss them and collide on insert.
  await client.query('DELETE FROM chunks WHERE document_id = ANY($1::bigint[])', [ids]);
  if (copy) {
    await copyChunks(client, collection.id, docs.map((d, i) => ({ documentId: ids[i]!, title: d.document.title, chunks: d.chunks })), copy === 'stream' ? undefined : copy);
  } else {
    for (const [i, d] of docs.entries()) await insertChunks(client, collection.id, ids[i]!, d);
  }
  return written;
}

/** Chunks in one `unnest` INSERT at most: each statement carries its rows as arrays of text. */
export const INSERT_BATCH_CHUNKS = 128;
/** Characters of text and vector text in one `unnest` INSERT at most (a single larger chunk goes alone). */
export const INSERT_BATCH_CHARS = 4 * 1024 * 1024;

/**
 * The `unnest` write of one document's chunks, for databases without COPY: in runs of at most
 * {@link INSERT_BATCH_CHUNKS} chunks and about {@link INSERT_BATCH_CHARS} characters, so one
 * statement's memory stays bounded however large the page; in the caller's transaction, so
 * readers still see all or nothing.
 */
async function insertChunks(client: pg.PoolClient, collectionId: number, documentId: number, doc: EmbeddedDocument): Promise<void> {
  // Text, keyword vector (about the text's size again) and ~12 characters a dimension.
  const batches = splitBy(doc.chunks, { maxItems: INSERT_BATCH_CHUNKS, maxWeight: INSERT_BATCH_CHARS, weight: (c) => 2 * c.text.length + 12 * c.embedding.length });
  for (const chunks of batches) await insertChunkBatch(client, collectionId, documentId, doc.document.title, chunks);
}

/** One `unnest` INSERT of some of a document's chunks. */
async function insertChunkBatch(client: pg.PoolClient, collectionId: number, documentId: number, title: string, chunks: EmbeddedDocument['chunks']): Promise<void> {
  // Arrays in, rows out. Heading paths travel as JSON because a Postgres array of ragged arrays
  // does not exist.
  await client.query(
    `INSERT INTO chunks (collection_id, document_id, ordinal, text, token_count, heading_path, text_hash, metadata, embedding, tsv)
     SELECT $1, $2, r.ordinal, r.text, r.token_count,
            ARRAY(SELECT jsonb_array_elements_text(r.heading_path)), r.text_hash, r.metadata, r.embedding::vector, r.tsv::tsvector
       FROM unnest($3::int[], $4::text[], $5::int[], $6::jsonb[], $7::text[], $8::jsonb[], $9::text[], $10::text[])
            AS r(ordinal, text, token_count, heading_path, text_hash, metadata, embedding, tsv)`,
    [
      collectionId,
      documentId,
      chunks.map((c) => c.ordinal),
      chunks.map((c) => c.text),
      chunks.map((c) => c.tokenCount),
      chunks.map((c) => JSON.stringify(c.headingPath)),
      chunks.map((c) => c.textHash),
      chunks.map((c) => JSON.stringify(c.metadata)),
      chunks.map((c) => toVectorText(c.embedding)),
      // The same keyword vectors as the COPY path's, in text form.
      chunks.map((c) => tsvectorText(c.keywords ?? chunkKeywords(title, c.headingPath, c.text))),
    ],
  );
}
