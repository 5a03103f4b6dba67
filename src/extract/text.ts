/** Plain-text extraction: paragraphs separated by blank lines. */
import type { Block } from '../types.js';

/** Plain text: paragraphs separated by blank lines, each keeping its own line breaks. */
export function extractText(body: string): Block[] {
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
