/**
 * The extract stage: reduce each fetched page or file to its title and main-content blocks.
 *
 * The format registry (`formats/registry.ts`) says, by content type, which extractor reads a
 * document: HTML goes through a cheerio-based extractor that finds the main content and drops site
 * chrome (navigation, sidebars, permalinks...), Markdown through a line-based reader, plain text
 * (and other `text/*` types) is split into paragraphs, and a registered format brings its own. The
 * result carries a content hash so later stages can skip unchanged documents.
 */
import { InputError, RaglineError, UnreadableDocumentError, describeValue } from '../errors.js';
import { bytesContentHash, contentHash } from '../extract/content-hash.js';
import type { ExtractOptions, ExtractorResult } from '../extract/extractor.js';
import { looksBinary } from '../extract/looks-binary.js';
import { nameFromUrl } from '../extract/name-from-url.js';
import type { Format } from '../formats/format.js';
import { formatForContentType, supportedMediaTypes } from '../formats/registry.js';
import { decodeText } from '../net/http-get.js';
import type { ExtractedDocument, SourceDocument } from '../types.js';

export type { ExtractOptions } from '../extract/extractor.js';

/** The format that reads `doc`, or an InputError naming the document and its type. */
function formatOf(doc: SourceDocument): Format {
  const format = formatForContentType(doc.contentType);
  if (format !== undefined) return format;
  throw new UnreadableDocumentError(
    doc.url,
    'unsupported-type',
    `Cannot extract text from ${doc.url}: its content type ${describeValue(doc.contentType)} is not ` +
      `one ragline reads (${supportedMediaTypes().join(', ')} or another text/* type). Filter such ` +
      'documents out before extract(), or registerFormat() one that reads it.',
  );
}

/** Hand the body to the format's extractor in the form it reads; binary data as text has no blocks. */
function runExtractor(format: Format, doc: SourceDocument, options: ExtractOptions): ExtractorResult | Promise<ExtractorResult> {
  const { body } = doc;
  if (format.body === 'bytes') {
    if (body instanceof Uint8Array) return format.extract(body, doc, options);
    throw new InputError(doc.url, `Cannot extract ${doc.url}: ${format.name} is read from bytes, got ${describeValue(body)}.`);
  }
  const text = typeof body === 'string' ? body : body instanceof Uint8Array ? decodeText(body, doc.contentType) : undefined;
  if (text === undefined) {
    throw new InputError(doc.url, `Cannot extract ${doc.url}: body must be a string or bytes, got ${describeValue(body)}.`);
  }
  if (looksBinary(text)) return { title: undefined, blocks: [] };
  return format.extract(text, doc, options);
}

/**
 * Extractors are written not to throw on bad input; anything else they throw is a bug or an
 * invalid option (e.g. a malformed `contentSelector`), reported against the document it happened on.
 */
function extractionError(doc: SourceDocument, error: unknown): RaglineError {
  if (error instanceof RaglineError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new InputError(doc.url, `Could not extract ${doc.url}: ${reason}`, { cause: error });
}

/**
 * The content hash of a document: of its bytes for a binary format (known before parsing, see
 * {@link sourceContentHash}), else of its title and blocks.
 */
function hashOf(format: Format, doc: SourceDocument, title: string, blocks: ExtractorResult['blocks']): string {
  return sourceContentHash(format, doc) ?? contentHash(title, blocks);
}

/**
 * The content hash of a binary document (PDF, Word) read from its bytes, before it is parsed:
 * what `ExtractedDocument.contentHash` will be. Undefined for text formats, whose hash is of the
 * extracted text, and for documents no format reads.
 */
export function sourceContentHash(format: Format | undefined, doc: SourceDocument): string | undefined {
  return format?.body === 'bytes' && doc.body instanceof Uint8Array ? bytesContentHash(format.name, format.version, doc.body) : undefined;
}

/** The extractor's result with the URL's name as fallback title and the content hash. */
function completed(format: Format, doc: SourceDocument, result: ExtractorResult): ExtractedDocument {
  const title = result.title ?? nameFromUrl(doc.url);
  return {
    url: doc.url,
    title,
    contentType: doc.contentType,
    fetchedAt: doc.fetchedAt,
    blocks: result.blocks,
    contentHash: hashOf(format, doc, title, result.blocks),
  };
}

/**
 * Extract one document: its title and main-content blocks, in document order.
 *
 * The format registry picks the extractor by `contentType` (parameters and case ignored):
 * `text/html` (and `application/xhtml+xml`) to the HTML extractor, `text/markdown` to the Markdown
 * reader, other `text/*` types to plain-text paragraphs, and a registered format's types to its
 * extractor. Malformed or binary content does not throw: it yields a document with `blocks: []`.
 *
 * @param doc - The fetched page or read file; a text format's body given as bytes is decoded.
 * @param options - HTML content-selection options.
 * @returns The extracted document; `title` falls back to the first `h1`, then to the URL's last
 *   path segment.
 * @throws {InputError} When no format reads `contentType` (e.g. `application/pdf`), the body is
 *   neither string nor bytes, or the format's extractor is asynchronous (use {@link extract}).
 *
 * @example
 * ```ts
 * const doc = extractDocument({ url, contentType: 'text/html', body: html, fetchedAt: new Date() });
 * for (const block of doc.blocks) console.log(block.headingPath.join(' > '), block.text);
 * ```
 */
export function extractDocument(doc: SourceDocument, options: ExtractOptions = {}): ExtractedDocument {
  const format = formatOf(doc);
  let result: ExtractorResult | Promise<ExtractorResult>;
  try {
    result = runExtractor(format, doc, options);
  } catch (error) {
    throw extractionError(doc, error);
  }
  if (result instanceof Promise) {
    result.catch(() => {}); // the error below is the one to report
    throw new InputError(
      doc.url,
      `Cannot extract ${doc.url} synchronously: the ${format.name} format's extractor is asynchronous. Use extract().`,
    );
  }
  return completed(format, doc, result);
}

/** {@link extractDocument} for extractors synchronous or not. */
async function extractOne(doc: SourceDocument, options: ExtractOptions): Promise<ExtractedDocument> {
  const format = formatOf(doc);
  let result: ExtractorResult;
  try {
    result = await runExtractor(format, doc, options);
  } catch (error) {
    throw extractionError(doc, error);
  }
  return completed(format, doc, result);
}

/**
 * The extract stage: extract each document of a stream (see {@link extractDocument}), in order.
 *
 * @param source - Pages or files, typically from the crawl or file-reading stage (a plain array
 *   works too).
 * @param options - HTML content-selection options, applied to every document, and `onUnreadable`.
 * @returns An async generator of extracted documents, one per source document (less those skipped
 *   through `onUnreadable`).
 * @throws {InputError} As {@link extractDocument} (asynchronous extractors are awaited), which
 *   stops the stream unless `onUnreadable` is given.
 *
 * @example
 * ```ts
 * for await (const doc of extract(crawl(startUrl))) console.log(doc.title, doc.blocks.length);
 * ```
 */
export async function* extract(
  source: AsyncIterable<SourceDocument> | Iterable<SourceDocument>,
  options: ExtractStageOptions = {},
): AsyncGenerator<ExtractedDocument> {
  const { onUnreadable, ...extractOptions } = options;
  for await (const doc of source) {
    if (onUnreadable === undefined) {
      yield await extractOne(doc, extractOptions);
      continue;
    }
    let extracted: ExtractedDocument;
    try {
      extracted = await extractOne(doc, extractOptions);
    } catch (error) {
      // Invalid options (a bad selector) are not the document's fault: they stop the stream.
      if (!(error instanceof InputError)) throw error;
      onUnreadable(doc, unreadable(doc, error));
      continue;
    }
    yield extracted;
  }
}

/** Options of the {@link extract} stage. */
export interface ExtractStageOptions extends ExtractOptions {
  /**
   * Called for each document that cannot be read (corrupt, encrypted, image-only PDF, an
   * extractor that crashed, a type no format reads), which is then skipped instead of ending the
   * stream. The error says why (`reason`) in one line (`message`).
   * @default undefined (such a document ends the stream with its `InputError`)
   */
  onUnreadable?: (doc: SourceDocument, error: UnreadableDocumentError) => void;
}

/** An extraction failure as a skip reason: extractors name theirs; anything else is `unreadable`. */
function unreadable(doc: SourceDocument, error: InputError): UnreadableDocumentError {
  if (error instanceof UnreadableDocumentError) return error;
  const detail = (error.cause instanceof Error ? error.cause.message : undefined) ?? error.message;
  return new UnreadableDocumentError(doc.url, 'unreadable', `Skipped ${doc.url}: its reader failed (${detail}).`, { cause: error });
}
