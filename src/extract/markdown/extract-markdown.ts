/**
 * Markdown extraction: a line-based reader of the CommonMark/GFM constructs documentation sources
 * use (ATX and setext headings, fenced and indented code, lists, pipe tables, quotes, front matter,
 * MkDocs admonitions and tabs). It does not render Markdown: inline markup is reduced to the text a
 * reader sees (`[text](url)` -> `text`, `**bold**` -> `bold`), and code is kept verbatim.
 */
import type { ExtractorResult } from '../extractor.js';
import { stripComments } from './comments.js';
import { splitFrontMatter } from './front-matter.js';
import { MarkdownParser } from './markdown-parser.js';

const CONTROL_RE = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g;

/**
 * Extract the title and blocks of a Markdown document.
 *
 * @param markdown - The decoded document.
 * @returns The front matter `title` (else the first level-1 heading) and the blocks. Never throws.
 */
export function extractMarkdown(markdown: string): ExtractorResult {
  const text = markdown.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n').replace(CONTROL_RE, '');
  const { title: declared, body } = splitFrontMatter(text.split('\n'));
  const parser = new MarkdownParser(false);
  parser.parse(stripComments(body));
  const firstH1 = parser.blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text;
  return { title: declared ?? firstH1, blocks: parser.blocks };
}
