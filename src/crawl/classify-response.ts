/**
 * Which responses the crawl yields as documents, and as what type. All of the crawl's
 * content-type decisions are here, so that a registry of formats (extension, media type,
 * extractor) can take them over in one place.
 */

/** The document types the crawl yields. */
export type DocumentType = 'text/html' | 'text/markdown' | 'text/plain';

/** File extension of a URL's last path segment, lower case, without the dot. */
function extensionOf(url: URL): string {
  const segment = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
  const dot = segment.lastIndexOf('.');
  return dot === -1 ? '' : segment.slice(dot + 1).toLowerCase();
}

const MARKDOWN_EXTENSIONS = new Set(['md', 'markdown']);
const TEXT_EXTENSIONS = new Set(['txt', 'text']);
/** Types that carry no reliable information, so the URL's extension decides. */
const UNTYPED = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/**
 * The document type of a response (its media type, without parameters, and its final URL), or
 * undefined when it is not a document the crawl yields. `body` is undefined before the body is
 * read: the answer is then "maybe" (`text/html`) for an untyped response whose body must be sniffed.
 */
export function classifyResponse(contentType: string, url: string | URL, body: string | undefined): DocumentType | undefined {
  const extension = extensionOf(new URL(url));
  switch (contentType) {
    case 'text/html':
    case 'application/xhtml+xml':
      return 'text/html';
    case 'text/markdown':
    case 'text/x-markdown':
      return 'text/markdown';
    case 'text/plain':
      // Many static servers do not know .md and send text/plain.
      return MARKDOWN_EXTENSIONS.has(extension) ? 'text/markdown' : 'text/plain';
  }
  if (!UNTYPED.has(contentType)) return undefined;
  if (MARKDOWN_EXTENSIONS.has(extension)) return 'text/markdown';
  if (TEXT_EXTENSIONS.has(extension)) return 'text/plain';
  if (contentType !== '') return undefined;
  // No content-type at all: sniff for HTML, as browsers do.
  if (body === undefined) return 'text/html';
  return /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]/i.test(body)
    ? 'text/html'
    : undefined;
}
