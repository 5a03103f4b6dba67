/** Fenced and indented code, and the indented bodies of admonitions and tabs. */
import { closesFence, dedent, indentOf, isBlank } from './syntax.js';

/**
 * The lines of a fenced code block whose opening fence is `lines[open]`, dedented by the fence's
 * indent, and the index of the line after the closing fence (an unclosed fence runs to the end).
 */
export function readFence(lines: string[], open: number, indent: number, marker: string): { body: string[]; next: number } {
  const body: string[] = [];
  let j = open + 1;
  while (j < lines.length && !closesFence(lines[j] as string, marker)) {
    body.push(dedent(lines[j++] as string, indent));
  }
  return { body, next: j + 1 };
}

/** The blank or 4-space-indented lines from `from` on, dedented, and the index after them. */
export function readIndented(lines: string[], from: number): { body: string[]; next: number } {
  const body: string[] = [];
  let j = from;
  while (j < lines.length && (isBlank(lines[j] as string) || indentOf(lines[j] as string) >= 4)) {
    body.push(dedent(lines[j++] as string, 4));
  }
  return { body, next: j };
}
