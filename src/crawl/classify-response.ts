/**
 * Which responses the crawl yields as documents, and as what type: the format registry decides
 * (`formatForResponse`), so a format a user registers is crawled like the built-in ones.
 */
import { formatForResponse } from '../formats/registry.js';

/** The media type a crawled document is yielded with: its format's first media type (`text/html`, ...). */
export type DocumentType = string;

/**
 * The document type of a response (its media type and its final URL), or undefined when it is not
 * a document the crawl yields. `body` is undefined before the body is read: the answer is then
 * "maybe" (a type) for an untyped response whose first bytes must be sniffed.
 *
 * Formats whose body is bytes are not crawled yet (the crawl decodes bodies to text): they are
 * read from folders.
 */
export function classifyResponse(contentType: string, url: string | URL, body: string | undefined): DocumentType | undefined {
  const lookup = formatForResponse(contentType, url, body);
  if (lookup.format) return lookup.format.body === 'text' ? lookup.format.mediaTypes[0] : undefined;
  // Untyped, and some format could recognise it by its first bytes: read the body, then decide.
  return lookup.reason === 'needs-bytes' && body === undefined ? 'application/octet-stream' : undefined;
}
