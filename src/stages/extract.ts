/**
 * The extract stage: reduce each fetched page or file to its title and main-content blocks.
 *
 * HTML goes through a cheerio-based extractor that finds the main content and drops site chrome
 * (navigation, sidebars, permalinks...), Markdown through a line-based reader, plain text is split
 * into paragraphs. The result carries a content hash so later stages can skip unchanged documents.
 */
import { createHash } from 'node:crypto';
import { InputError, RaglineError, describeValue } from '../errors.js';
import type { Block, ExtractedDocument, SourceDocument } from '../types.js';
import { extractHtml, type ExtractorResult } from './extract-html.js';
import { extractMarkdown } from './extract-markdown.js';

/** Options of {@link extract} and {@link extractDocument}. Only HTML uses them. */
export interface ExtractOptions {
  /**
   * CSS selector of the main content, for sites the automatic detection gets wrong. Every match is
   * extracted, in document order. When nothing matches, detection is automatic as usual.
   * @default undefined (automatic: `main`, `[role=main]`, `article` and common documentation
   *   containers, scored by how much readable text they hold; else `body`)
   */
  contentSelector?: string;
  /**
   * CSS selectors of extra elements to drop before extraction (site-specific banners, widgets...),
   * on top of the built-in rules for navigation, sidebars, permalinks and the like.
   * @default []
   */
  removeSelectors?: string[];
  /**
   * HTML parser. `parse5` builds the tree a browser would, which matters for malformed pages;
   * `htmlparser2` makes extraction about twice as fast and gives the same blocks on well-formed,
   * generated documentation sites.
   * @default 'parse5'
   */
  htmlParser?: 'parse5' | 'htmlparser2';
}

type Format = 'html' | 'markdown' | 'text';

/** Which extractor reads a media type; `undefined` for types that are not text. */
function formatOf(contentType: string): Format | undefined {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  if (type === 'text/markdown' || type === 'text/x-markdown') return 'markdown';
  if (type.startsWith('text/')) return 'text';
  return undefined;
}

/**
 * Whether a body is binary data decoded as text: many NULs, control characters or U+FFFD
 * replacement characters near the start. Such a body has no readable text.
 */
function looksBinary(body: string): boolean {
  const sample = Math.min(body.length, 4096);
  if (sample === 0) return false;
  let odd = 0;
  for (let i = 0; i < sample; i++) {
    const c = body.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 12 && c !== 13) || c === 0xfffd) odd++;
  }
  return odd / sample > 0.1;
}

/** Plain text: paragraphs separated by blank lines, each keeping its own line breaks. */
function extractText(body: string): Block[] {
  const blocks: Block[] = [];
  const text = body
    .replace(/^\ufeff/, '')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '');
  for (const paragraph of text.split(/\n[ \t\f]*\n/)) {
    const lines = paragraph
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => line.trim() !== '');
    if (lines.length > 0) blocks.push({ kind: 'paragraph', text: lines.join('\n'), headingPath: [] });
  }
  return blocks;
}

/** The last path segment of a URL (`throttling` for `.../api-guide/throttling/`), else the host. */
function nameFromUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const segment = parsed.pathname.split('/').filter((s) => s !== '').pop();
    if (segment === undefined) return parsed.hostname || url;
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  } catch {
    return url;
  }
}

/**
 * sha256 (hex) of everything later stages derive chunks and embeddings from: the title (it is part
 * of every chunk's embedding input) and each block's kind, level, heading path and text. Nothing
 * outside the main content enters it, so a changed menu or banner leaves the hash as it was.
 */
function contentHash(title: string, blocks: Block[]): string {
  const canonical = JSON.stringify([title, blocks.map((b) => [b.kind, b.level ?? 0, b.headingPath, b.text])]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Extract one document: its title and main-content blocks, in document order.
 *
 * Dispatches on `contentType`: `text/html` (and `application/xhtml+xml`) to the HTML extractor,
 * `text/markdown` to the Markdown reader, other `text/*` types to plain-text paragraphs. Malformed
 * or binary content does not throw: it yields a document with `blocks: []`.
 *
 * @param doc - The fetched page or read file, its body already decoded to a string.
 * @param options - HTML content-selection options.
 * @returns The extracted document; `title` falls back to the first `h1`, then to the URL's last
 *   path segment.
 * @throws {InputError} When `contentType` is not a text type (e.g. `application/pdf`) or the body
 *   is not a string.
 *
 * @example
 * ```ts
 * const doc = extractDocument({ url, contentType: 'text/html', body: html, fetchedAt: new Date() });
 * for (const block of doc.blocks) console.log(block.headingPath.join(' > '), block.text);
 * ```
 */
export function extractDocument(doc: SourceDocument, options: ExtractOptions = {}): ExtractedDocument {
  const format = formatOf(doc.contentType);
  if (format === undefined) {
    throw new InputError(
      doc.url,
      `Cannot extract text from ${doc.url}: its content type ${describeValue(doc.contentType)} is not ` +
        'text/html, text/markdown or another text/* type. Filter such documents out before extract().',
    );
  }
  if (typeof doc.body !== 'string') {
    throw new InputError(
      doc.url,
      `Cannot extract ${doc.url}: body must be a decoded string, got ${describeValue(doc.body)}.`,
    );
  }
  let result: ExtractorResult;
  try {
    if (looksBinary(doc.body)) result = { title: undefined, blocks: [] };
    else if (format === 'html') result = extractHtml(doc.body, options);
    else if (format === 'markdown') result = extractMarkdown(doc.body);
    else result = { title: undefined, blocks: extractText(doc.body) };
  } catch (error) {
    if (error instanceof RaglineError) throw error;
    // Extractors are written not to throw on bad input; this is a bug or an invalid option (e.g.
    // a malformed `contentSelector`), reported against the document it happened on.
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(doc.url, `Could not extract ${doc.url}: ${reason}`, { cause: error });
  }
  const title = result.title ?? nameFromUrl(doc.url);
  return {
    url: doc.url,
    title,
    contentType: doc.contentType,
    fetchedAt: doc.fetchedAt,
    blocks: result.blocks,
    contentHash: contentHash(title, result.blocks),
  };
}

/**
 * The extract stage: map {@link extractDocument} over a stream of source documents, in order.
 *
 * @param source - Pages or files, typically from the crawl or file-reading stage (a plain array
 *   works too).
 * @param options - HTML content-selection options, applied to every document.
 * @returns An async generator of extracted documents, one per source document.
 * @throws {InputError} As {@link extractDocument}, which stops the stream.
 *
 * @example
 * ```ts
 * for await (const doc of extract(crawl(startUrl))) console.log(doc.title, doc.blocks.length);
 * ```
 */
export async function* extract(
  source: AsyncIterable<SourceDocument> | Iterable<SourceDocument>,
  options: ExtractOptions = {},
): AsyncGenerator<ExtractedDocument> {
  for await (const doc of source) yield extractDocument(doc, options);
}
