/** The formats ragline reads out of the box: HTML, Markdown and plain text. */
import { extractHtml } from '../extract/html/extract-html.js';
import { extractMarkdown } from '../extract/markdown/extract-markdown.js';
import { extractText } from '../extract/text.js';
import type { TextFormat } from './format.js';

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** An HTML document starts (after a BOM, whitespace and comments) with a doctype, `html`, `head` or `body` tag. */
function sniffHtml(head: Uint8Array): boolean {
  const start = UTF8_BOM.every((b, i) => head[i] === b) ? 3 : 0;
  const text = Buffer.from(head.buffer, head.byteOffset + start, head.length - start).toString('latin1');
  return /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]/i.test(text);
}

export const htmlFormat: TextFormat = {
  name: 'html',
  extensions: ['html', 'htm'],
  mediaTypes: ['text/html', 'application/xhtml+xml'],
  sniff: sniffHtml,
  body: 'text',
  extract: (text, _doc, options) => extractHtml(text, options),
};

export const markdownFormat: TextFormat = {
  name: 'markdown',
  extensions: ['md', 'markdown'],
  mediaTypes: ['text/markdown', 'text/x-markdown'],
  body: 'text',
  extract: (text) => extractMarkdown(text),
};

/** Plain text; also the reader of `text/*` types no other format claims (see `formatForContentType`). */
export const textFormat: TextFormat = {
  name: 'text',
  extensions: ['txt'],
  mediaTypes: ['text/plain'],
  body: 'text',
  extract: (text) => ({ title: undefined, blocks: extractText(text) }),
};
