/**
 * Which responses the crawl yields as documents, and as what type: the format registry decides
 * (`formatForResponse`), so a format a user registers is crawled like the built-in ones.
 */
import { formatForContentType, formatForResponse } from '../formats/registry.js';

/** The media type a crawled document is yielded with: its format's first media type (`text/html`, `application/pdf`...). */
export type DocumentType = string;

/** The type of an untyped response whose first bytes must be read to tell what it is. */
export const UNTYPED_DOCUMENT = 'application/octet-stream';

/**
 * The document type of a response (its media type and its final URL), or undefined when it is not
 * a document the crawl yields. `body` is undefined before the body is read: the answer is then
 * "maybe" ({@link UNTYPED_DOCUMENT}) for an untyped response whose first bytes must be sniffed
 * (`%PDF-`, a Word file's ZIP header, an HTML doctype).
 */
export function classifyResponse(contentType: string, url: string | URL, body: string | Uint8Array | undefined): DocumentType | undefined {
  const lookup = formatForResponse(contentType, url, body);
  if (lookup.format) return lookup.format.mediaTypes[0];
  // Untyped, and some format could recognise it by its first bytes: read the body, then decide.
  return lookup.reason === 'needs-bytes' && body === undefined ? UNTYPED_DOCUMENT : undefined;
}

/**
 * Whether a response of this document type is read as bytes: binary formats (PDF, Word), and
 * untyped bodies, which are sniffed before they are decoded.
 */
export function readsBytes(type: DocumentType | undefined): boolean {
  return type === UNTYPED_DOCUMENT || (type !== undefined && formatForContentType(type)?.body === 'bytes');
}
