/** An open heading of a document: its level (1-6) and text. */
export interface OpenHeading {
  level: number;
  text: string;
}

/**
 * Enter a heading: it closes the open headings of its level and deeper, in place, and opens
 * itself. Returns the new heading path (the open headings' texts, outermost first).
 */
export function enterHeading(open: OpenHeading[], level: number, text: string): string[] {
  while (open.length > 0 && (open[open.length - 1] as OpenHeading).level >= level) open.pop();
  open.push({ level, text });
  return open.map((h) => h.text);
}
