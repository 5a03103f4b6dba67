/**
 * A PDF's lines, page by page, as blocks: headings, paragraphs (lines joined, words hyphenated at a
 * line end mended) and bulleted lists. Each block knows the page it is on; none spans two pages, so
 * a chunk cites the page it starts on.
 */
import type { Block } from '../../types.js';
import { enterHeading, type OpenHeading } from '../heading-path.js';
import type { HeadingLevel } from './pdf-headings.js';
import type { PdfLine } from './pdf-lines.js';

const BULLET = /^(?:[•·▪◦‣∙●○■–-]|\d{1,3}[.)])\s+/;

/**
 * Join two lines of a paragraph: a word hyphenated at the end of the first (`infor-` + `mation`)
 * is mended; otherwise a space.
 */
export function joinLines(first: string, next: string): string {
  // A hyphen, a soft hyphen or a Unicode hyphen after a lower-case letter, then a lower-case letter.
  if (/\p{Ll}[-\u00ad\u2010]$/u.test(first) && /^\p{Ll}/u.test(next)) return first.slice(0, -1) + next;
  return `${first.replace(/\u00ad$/, '')} ${next}`;
}

/** The block being built, and the last line added to it. */
interface Open {
  kind: 'paragraph' | 'list';
  lines: string[];
  last: PdfLine;
}

/** Whether `line` starts a new block after `open`: a gap, a jump up (next column), another size, a bullet. */
function breaksBlock(open: Open, line: PdfLine): boolean {
  const gap = open.last.y - line.y;
  const size = Math.max(open.last.size, line.size);
  return gap > size * 1.8 || gap < -size / 2 || Math.abs(line.size - open.last.size) > open.last.size * 0.15 || BULLET.test(line.text);
}

/** Blocks of a document's pages (1-based page numbers, in order). */
export function pdfBlocks(pages: readonly PdfLine[][], headingLevel: HeadingLevel): Block[] {
  const blocks: Block[] = [];
  const open: OpenHeading[] = [];
  let path: string[] = [];
  pages.forEach((lines, index) => {
    const page = index + 1;
    let current: Open | undefined;
    const flush = () => {
      if (current === undefined) return;
      const text = current.kind === 'list' ? current.lines.join('\n') : current.lines.reduce(joinLines);
      blocks.push({ kind: current.kind, text, headingPath: path, page });
      current = undefined;
    };
    for (const line of lines) {
      const level = headingLevel(line, page);
      if (level !== undefined) {
        flush();
        path = enterHeading(open, level, line.text);
        blocks.push({ kind: 'heading', text: line.text, headingPath: path, level, page });
      } else if (current !== undefined && !breaksBlock(current, line)) {
        const lastIndex = current.lines.length - 1;
        current.lines[lastIndex] = joinLines(current.lines[lastIndex] as string, line.text);
        current.last = line;
      } else if (current?.kind === 'list' && BULLET.test(line.text) && Math.abs(current.last.size - line.size) <= line.size * 0.15) {
        current.lines.push(`- ${line.text.replace(BULLET, '')}`);
        current.last = line;
      } else {
        flush();
        const bullet = BULLET.test(line.text);
        current = { kind: bullet ? 'list' : 'paragraph', lines: [bullet ? `- ${line.text.replace(BULLET, '')}` : line.text], last: line };
      }
    }
    flush();
  });
  return blocks;
}
