/** Block quotes: the quoted lines, markers removed, lazy continuation lines included. */
import { QUOTE_RE, isBlank, isBlockStart } from './syntax.js';

/** The lines of the quote starting at `lines[i]`, without their `>`, and the index after them. */
export function readQuote(lines: string[], i: number): { inner: string[]; next: number } {
  const inner: string[] = [];
  let j = i;
  while (j < lines.length) {
    const current = lines[j] as string;
    if (QUOTE_RE.test(current)) inner.push(current.replace(QUOTE_RE, ''));
    else if (!isBlank(current) && !isBlockStart(current) && !isBlank(inner[inner.length - 1] ?? '')) {
      inner.push(current); // lazy continuation of a quoted paragraph
    } else break;
    j++;
  }
  return { inner, next: j };
}
