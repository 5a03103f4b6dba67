/** Lists (`ul`, `ol`): one list block, items as `- ` lines, nested items indented. */
import type { BlockWalker } from './block-walker.js';
import { isChrome } from './chrome.js';
import { isElement, type DomElement } from './dom.js';

/** The list block being built while the walker is inside a list. */
export interface ListState {
  /** Lines of the list block being built. */
  lines: string[];
  /** Nesting depth of the items being collected (0 for top-level items). */
  depth: number;
  /**
   * The current item already has its `- ` line, so more text of it (after a nested list) is a
   * continuation line.
   */
  itemStarted: boolean;
}

export function walkList(w: BlockWalker, el: DomElement, inSection: boolean, depth: number): void {
  const nested = w.list !== null;
  if (nested) {
    w.pushItemLine();
  } else {
    w.flushParagraph();
    w.list = { lines: [], depth: 0, itemStarted: false };
  }
  const list = w.list as ListState;
  const outerStarted = list.itemStarted;
  if (nested) list.depth++;
  for (const child of el.children) {
    if (isElement(child) && child.name === 'li') {
      if (isChrome(child, inSection)) continue;
      w.pushItemLine();
      list.itemStarted = false;
      w.visitChildren(child, inSection, depth + 1);
      w.pushItemLine();
    } else {
      w.visit(child, inSection, depth + 1);
    }
  }
  w.pushItemLine();
  if (nested) {
    list.depth--;
    list.itemStarted = outerStarted;
  } else {
    w.breakFlow();
    w.list = null;
  }
}
