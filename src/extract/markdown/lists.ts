/** Markdown lists: one list block, items as `- ` lines, nesting by marker indent. */
import { cleanInline } from './inline.js';
import { HR_RE, LIST_RE } from './syntax.js';

/** The list block being built. */
export interface ListState {
  lines: string[];
  /** Marker indents of the open nesting levels. */
  indents: number[];
  /** A blank line was seen since the last item line. */
  blank: boolean;
}

/** A list item line (`- text`, `1. text`); a thematic break such as `- - -` is not one. */
export function listItem(line: string): RegExpExecArray | null {
  const item = LIST_RE.exec(line);
  return item !== null && !HR_RE.test(line) ? item : null;
}

/** Add an item line whose marker is indented by `indent`, nesting it under a less indented one. */
export function addItem(state: ListState, indent: number, raw: string): void {
  const indents = state.indents;
  while (indents.length > 0 && indent < (indents[indents.length - 1] as number)) indents.pop();
  if (indents.length === 0 || indent > (indents[indents.length - 1] as number) + 1) indents.push(indent);
  const text = cleanInline(raw);
  if (text) state.lines.push(`${'  '.repeat(indents.length - 1)}- ${text}`);
  state.blank = false;
}
