/**
 * The line-level syntax of the Markdown block constructs the reader knows: the patterns that open
 * them, indentation, and code fences.
 */

const FENCE_OPEN_RE = /^([ \t]*)(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE_RE = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;
export const ATX_RE = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
export const SETEXT_RE = /^ {0,3}(=+|-+)[ \t]*$/;
export const HR_RE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
export const QUOTE_RE = /^ {0,3}> ?/;
export const LIST_RE = /^([ \t]*)([-*+]|(\d{1,9})[.)])(?:[ \t]+(.*))?$/;
export const TABLE_DELIMITER_RE = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
/** `[id]: https://...` link reference definitions are not text. Footnotes (`[^1]:`) are. */
export const LINK_DEFINITION_RE = /^ {0,3}\[[^\]^][^\]]*\]:[ \t]*\S+/;
/** MkDocs (Python-Markdown) admonitions: `!!! note "Title"`, collapsible `??? tip`. */
export const ADMONITION_RE = /^ {0,3}(?:!!!|\?\?\?\+?)[ \t]+(\S+)(?:[ \t]+"(.*)")?[ \t]*$/;
/** pymdownx.tabbed: `=== "Tab label"`, content indented below. */
export const TAB_RE = /^ {0,3}===[+!]*[ \t]+"/;
/** Docusaurus/VitePress containers (`:::note Title` ... `:::`): the markers are not text. */
export const CONTAINER_MARKER_RE = /^ {0,3}:::/;

export function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** Width of leading whitespace, tabs advancing to the next multiple of 4. */
export function indentOf(line: string): number {
  let width = 0;
  for (const ch of line) {
    if (ch === ' ') width++;
    else if (ch === '\t') width += 4 - (width % 4);
    else break;
  }
  return width;
}

/** Remove up to `columns` of leading whitespace. */
export function dedent(line: string, columns: number): string {
  let width = 0;
  let i = 0;
  while (i < line.length && width < columns) {
    const ch = line[i];
    if (ch === ' ') width++;
    else if (ch === '\t') width += 4 - (width % 4);
    else break;
    i++;
  }
  return line.slice(i);
}

export function isFenceOpen(line: string): RegExpExecArray | null {
  const m = FENCE_OPEN_RE.exec(line);
  // A backtick fence's info string cannot contain backticks (else it is inline code).
  if (m === null || ((m[2] as string).startsWith('`') && (m[3] as string).includes('`'))) return null;
  return m;
}

export function closesFence(line: string, fence: string): boolean {
  const m = FENCE_CLOSE_RE.exec(line);
  return m !== null && (m[1] as string)[0] === fence[0] && (m[1] as string).length >= fence.length;
}

/** Whether a line opens a block that ends a paragraph, list item or table before it. */
export function isBlockStart(line: string): boolean {
  return (
    isFenceOpen(line) !== null ||
    ATX_RE.test(line) ||
    HR_RE.test(line) ||
    QUOTE_RE.test(line) ||
    ADMONITION_RE.test(line) ||
    TAB_RE.test(line) ||
    CONTAINER_MARKER_RE.test(line)
  );
}
