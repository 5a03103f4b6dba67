/**
 * Which lines of a PDF are headings, and of what level: the titles of its outline (bookmarks) where
 * it has one, else lines set clearly larger than the body text.
 */
import type { PdfLine } from './pdf-lines.js';

/** An outline entry whose destination page is known. */
export interface OutlineEntry {
  title: string;
  /** 1 for top-level entries. */
  level: number;
  /** 1-based page the entry points to. */
  page: number;
}

/** Tells the level (1-6) of a heading line of a page, or undefined for other lines. */
export type HeadingLevel = (line: PdfLine, page: number) => number | undefined;

const normalized = (text: string): string => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/** Headings are the outline's titles, on the page each points to (each title counted once). */
function fromOutline(outline: readonly OutlineEntry[]): HeadingLevel {
  const wanted = new Map<string, number>();
  for (const entry of outline) {
    const key = `${entry.page}|${normalized(entry.title)}`;
    if (!wanted.has(key)) wanted.set(key, Math.min(entry.level, 6));
  }
  return (line, page) => {
    const key = `${page}|${normalized(line.text)}`;
    const level = wanted.get(key);
    if (level !== undefined) wanted.delete(key);
    return level;
  };
}

/** Sizes rounded to half a point, so that 11.98 and 12.02 are one size. */
const roundSize = (size: number): number => Math.round(size * 2) / 2;

/** The size most of the text is set in (weighted by characters). */
function bodySize(pages: readonly PdfLine[][]): number {
  const chars = new Map<number, number>();
  for (const line of pages.flat()) chars.set(roundSize(line.size), (chars.get(roundSize(line.size)) ?? 0) + line.text.length);
  let best = 0;
  let most = -1;
  for (const [size, n] of chars) if (n > most) [best, most] = [size, n];
  return best;
}

/** Headings are short lines set at least 20% larger than the body; the larger, the higher (up to 6 levels). */
function fromFontSize(pages: readonly PdfLine[][]): HeadingLevel {
  const body = bodySize(pages);
  const isHeading = (line: PdfLine) => body > 0 && line.size >= body * 1.2 && line.text.length <= 120 && /\p{L}/u.test(line.text);
  const sizes = [...new Set(pages.flat().filter(isHeading).map((l) => roundSize(l.size)))].sort((a, b) => b - a);
  return (line) => (isHeading(line) ? Math.min(sizes.indexOf(roundSize(line.size)) + 1, 6) : undefined);
}

/** The heading test for a document: by its outline when it has one, else by font size. */
export function headingLevels(pages: readonly PdfLine[][], outline: readonly OutlineEntry[]): HeadingLevel {
  return outline.length > 0 ? fromOutline(outline) : fromFontSize(pages);
}
