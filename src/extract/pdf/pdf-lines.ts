/** A PDF page's text items joined into lines, in the order the page draws them. */

/** One line of a page's text. */
export interface PdfLine {
  text: string;
  /** Font size (points): the largest on the line. */
  size: number;
  /** Baseline height on the page (PDF units, growing upwards). */
  y: number;
}

/** The part of pdf.js's `TextItem` read here (`TextMarkedContent` has no `str`). */
export interface PdfTextItem {
  str: string;
  /** `[a, b, c, d, e, f]`: `e`, `f` are the position, `c`, `d` give the font size. */
  transform: number[];
  width: number;
  hasEOL?: boolean;
}

const isTextItem = (item: unknown): item is PdfTextItem =>
  typeof item === 'object' && item !== null && typeof (item as PdfTextItem).str === 'string' && Array.isArray((item as PdfTextItem).transform);

/**
 * Join a page's text items into lines: a new line where an item says it ends one (`hasEOL`) or
 * where the baseline moves by more than half the font size. Items on one line apart by a gap get
 * a space between them.
 */
export function pageLines(items: readonly unknown[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let text = '';
  let size = 0;
  let y = 0;
  let end = 0;
  const close = () => {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (clean !== '') lines.push({ text: clean, size, y });
    text = '';
    size = 0;
  };
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const [, , c = 0, d = 0, x = 0, itemY = 0] = item.transform;
    const itemSize = Math.hypot(c, d);
    if (text !== '' && Math.abs(itemY - y) > Math.max(size, itemSize) / 2) close();
    if (text === '') y = itemY;
    else if (x > end + itemSize * 0.15 && !/\s$/.test(text) && !/^\s/.test(item.str)) text += ' ';
    text += item.str;
    if (item.str.trim() !== '') size = Math.max(size, itemSize);
    end = x + item.width;
    if (item.hasEOL) close();
  }
  close();
  return lines;
}
