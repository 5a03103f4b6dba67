/**
 * Running headers and footers: lines printed at the top or bottom of most pages (a title, a date,
 * "Page 3 of 40", a URL). They say nothing about the page and would repeat in every chunk.
 */
import type { PdfLine } from './pdf-lines.js';

/** Lines from each end of a page looked at. */
const EDGE_LINES = 3;

/**
 * The same line whatever its page number: the page's own number and the page count (`3`,
 * `Page 3 of 40`, `3/40`) do not count; other digits (a date, a version, the `3` of `tmp-a3b`)
 * must repeat as they are.
 */
const furnitureKey = (text: string, page: number, pages: number): string =>
  text.toLowerCase().replace(new RegExp(`(?<![\\p{L}\\p{N}])(?:${page}|${pages})(?![\\p{L}\\p{N}])`, 'gu'), '#').replace(/\s+/g, ' ').trim();

/**
 * The pages' lines without those near the top or bottom that repeat (page numbers aside) on at least
 * 60% of the pages; documents under 3 pages are left as they are.
 */
export function withoutRunningLines(pages: readonly PdfLine[][]): PdfLine[][] {
  if (pages.length < 3) return pages.map((lines) => [...lines]);
  const edges = (lines: readonly PdfLine[]): PdfLine[] =>
    lines.length <= EDGE_LINES * 2 ? [...lines] : [...lines.slice(0, EDGE_LINES), ...lines.slice(-EDGE_LINES)];
  const seen = new Map<string, number>();
  pages.forEach((lines, i) => {
    for (const key of new Set(edges(lines).map((l) => furnitureKey(l.text, i + 1, pages.length)))) seen.set(key, (seen.get(key) ?? 0) + 1);
  });
  const least = Math.max(3, Math.ceil(pages.length * 0.6));
  const running = new Set([...seen].filter(([, n]) => n >= least).map(([key]) => key));
  if (running.size === 0) return pages.map((lines) => [...lines]);
  return pages.map((lines, i) => {
    const edge = new Set(edges(lines));
    return lines.filter((l) => !(edge.has(l) && running.has(furnitureKey(l.text, i + 1, pages.length))));
  });
}
