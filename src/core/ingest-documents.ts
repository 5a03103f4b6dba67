/**
 * Ingest text a program already has (rows of a database, tickets, a CMS export): the same stages as
 * a crawl, from extract on, with each document's own metadata.
 */
import { createHash } from 'node:crypto';
import { ConfigError, describeValue } from '../errors.js';
import { checkMetadata, metadataFingerprint, type ChunkMetadata } from '../stages/metadata.js';
import type { SourceDocument } from '../types.js';
import { checkIngestOptions, finishRun, openIngestCollection, runStages, startRun } from './ingest-run.js';
import type { IngestBaseOptions, IngestSummary } from './ingest-types.js';

/** A document given as text. */
export interface TextDocument {
  /** Its identity: a re-ingest with the same URL replaces it. Any absolute URL (`https:`, `file:`, `urn:`, ...). */
  url: string;
  text: string;
  /** @default the first heading of the text, else its URL */
  title?: string;
  /**
   * How to read `text`.
   * @default 'text/plain'
   */
  contentType?: 'text/plain' | 'text/markdown' | 'text/html';
  /** Stored with every chunk of this document, over the ingest's own `metadata`. */
  metadata?: ChunkMetadata;
}

/** Options of {@link ingestDocuments}. */
export interface IngestDocumentsOptions extends IngestBaseOptions {
  documents: Iterable<TextDocument> | AsyncIterable<TextDocument>;
}

function checkDocument(doc: TextDocument, i: number): void {
  let url: URL | undefined;
  try {
    url = new URL(doc.url);
  } catch {
    url = undefined;
  }
  if (!url) throw new ConfigError(`documents[${i}].url`, doc.url, `Expected \`documents[${i}].url\` to be an absolute URL (https://..., file://..., urn:...), got ${describeValue(doc.url)}.`);
  if (typeof doc.text !== 'string') throw new ConfigError(`documents[${i}].text`, doc.text, `Expected \`documents[${i}].text\` to be a string, got ${describeValue(doc.text)}.`);
  if (doc.metadata !== undefined) checkMetadata(doc.metadata, `documents[${i}].metadata`);
}

/** The documents as the extract stage reads them; a title and metadata travel with their URL. */
async function* sourceDocuments(documents: IngestDocumentsOptions['documents'], extras: Map<string, TextDocument>): AsyncGenerator<SourceDocument> {
  let i = 0;
  for await (const doc of documents) {
    checkDocument(doc, i++);
    extras.set(doc.url, doc);
    const contentType = doc.contentType ?? 'text/plain';
    // A title given as data leads a Markdown or plain text body, where the extractor finds it.
    const body = doc.title !== undefined && contentType !== 'text/html' ? `# ${doc.title}\n\n${doc.text}` : doc.text;
    yield { url: doc.url, contentType: doc.title !== undefined && contentType === 'text/plain' ? 'text/markdown' : contentType, body, fetchedAt: new Date() };
  }
}

/**
 * Ingest documents given as text into a collection: extract, skip what is unchanged since the last
 * run, chunk, embed and store, like {@link ingest}. A document's `metadata` goes with its chunks
 * (over the ingest's `metadata`); changing it rewrites the chunks without re-embedding them.
 */
export async function ingestDocuments(options: IngestDocumentsOptions): Promise<IngestSummary> {
  const started = performance.now();
  checkIngestOptions(options);
  const extras = new Map<string, TextDocument>();
  return openIngestCollection(options, async (collection) => {
    const run = startRun(options, collection, 'documents');
    await runStages(run, sourceDocuments(options.documents, extras), {
      afterExtract: (doc) => {
        const extra = extras.get(doc.url);
        if (!extra?.metadata || Object.keys(extra.metadata).length === 0) return doc;
        // The document's metadata is part of what it is: other metadata, other hash, rewritten chunks.
        const contentHash = createHash('sha256').update(metadataFingerprint(doc.contentHash, extra.metadata)).digest('hex');
        return { ...doc, contentHash };
      },
      chunkMetadata: (url) => extras.get(url)?.metadata,
    });
    return finishRun(run, started);
  });
}
