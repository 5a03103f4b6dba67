/** Flattening an HTML subtree into text, without its chrome. */
import { isBlockish } from './block-elements.js';
import { isChrome, isHeadingAnchor } from './chrome.js';
import { isElement, isText, type DomElement, type DomNode } from './dom.js';
import { BR, mathText, meaningfulAlt, scriptMath, textData } from './inline-text.js';

export type GatherMode =
  /** Paragraph-like text: `<br>` is a line break. */
  | 'inline'
  /** Table cells and headings: everything on one line. */
  | 'line'
  /** Code: text as is, `<br>` and block boundaries are newlines. */
  | 'pre';

const NEWLINE_IF_NEEDED = Symbol('newline');
const SPACE = Symbol('space');
type Item = DomNode | typeof NEWLINE_IF_NEEDED | typeof SPACE;

/** Text of a subtree without chrome, iteratively (the subtree may be arbitrarily deep). */
export function gatherText(root: DomElement, mode: GatherMode, dropHeadingAnchors = false): string {
  const out: string[] = [];
  const stack: Item[] = [];
  for (let i = root.children.length - 1; i >= 0; i--) stack.push(root.children[i] as DomNode);
  // Alt text of the last image, while only whitespace has followed it.
  let lastAlt = '';
  while (stack.length > 0) {
    const node = stack.pop() as Item;
    if (node === SPACE) {
      out.push(' ');
      continue;
    }
    if (node === NEWLINE_IF_NEEDED) {
      const last = out[out.length - 1];
      if (last !== undefined && !last.endsWith('\n')) out.push('\n');
      continue;
    }
    if (isText(node)) {
      out.push(textData(node.data));
      if (lastAlt && /\S/.test(node.data)) lastAlt = '';
      continue;
    }
    if (!isElement(node)) continue;
    const math = scriptMath(node);
    if (math !== undefined) {
      if (mode !== 'pre') out.push(` ${math} `);
      lastAlt = '';
      continue;
    }
    if (isChrome(node, true) || (dropHeadingAnchors && isHeadingAnchor(node))) continue;
    const name = node.name;
    if (name === 'br') {
      out.push(mode === 'pre' ? '\n' : mode === 'inline' ? BR : ' ');
      continue;
    }
    if (name === 'img') {
      if (mode === 'pre') continue;
      const alt = meaningfulAlt(node);
      // The same picture twice in a row is a light/dark theme pair, not two pictures.
      if (alt && alt !== lastAlt) out.push(` ${alt} `);
      if (alt) lastAlt = alt;
      continue;
    }
    if (name === 'math' && mode !== 'pre') {
      out.push(` ${mathText(node)} `);
      lastAlt = '';
      continue;
    }
    if (isBlockish(name)) {
      if (mode === 'pre') stack.push(NEWLINE_IF_NEEDED);
      else {
        out.push(' ');
        stack.push(SPACE);
      }
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as DomNode);
  }
  return out.join('');
}
