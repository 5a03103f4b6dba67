/**
 * Description lists (`dl`): short definitions become `term: definition` lines of one paragraph;
 * a definition with paragraphs, code or lists of its own (API docs) is walked as normal content.
 */
import { isBlockish } from './block-elements.js';
import type { BlockWalker } from './block-walker.js';
import { isChrome } from './chrome.js';
import { isElement, type DomElement } from './dom.js';
import { gatherText } from './gather-text.js';
import { headingText } from './headings.js';
import { normalizeInline } from './inline-text.js';

/** `dt`/`dd` children of a `dl`, also inside the `div` groups HTML allows. */
function collectDefinitionItems(el: DomElement, out: DomElement[]): void {
  for (const child of el.children) {
    if (!isElement(child)) continue;
    if (child.name === 'dt' || child.name === 'dd') out.push(child);
    else if (child.name === 'div' && !isChrome(child, true)) collectDefinitionItems(child, out);
  }
}

/** A definition that fits on the `term: definition` line: inline content and at most one `p`. */
function isSimpleDefinition(dd: DomElement): boolean {
  let paragraphs = 0;
  for (const child of dd.children) {
    if (!isElement(child)) continue;
    if (child.name === 'p') {
      if (++paragraphs > 1) return false;
    } else if (isBlockish(child.name)) {
      return false;
    }
  }
  return true;
}

export function walkDefinitionList(w: BlockWalker, el: DomElement, inSection: boolean, depth: number): void {
  w.breakFlow();
  w.inFlow(() => {
    let lines: string[] = [];
    let term: string | null = null;
    const flushTerm = (): void => {
      if (term) lines.push(term);
      term = null;
    };
    const flushLines = (): void => {
      w.push('paragraph', lines.join('\n'));
      lines = [];
    };
    const items: DomElement[] = [];
    collectDefinitionItems(el, items);
    for (const item of items) {
      if (isChrome(item, inSection)) continue;
      if (item.name === 'dt') {
        flushTerm();
        term = headingText(item) || null;
      } else if (isSimpleDefinition(item)) {
        const definition = normalizeInline(gatherText(item, 'line'));
        if (term && definition) lines.push(term.endsWith(':') ? `${term} ${definition}` : `${term}: ${definition}`);
        else if (term || definition) lines.push(term || definition);
        term = null;
      } else {
        // A definition with its own paragraphs, code or lists (API docs): the term is a
        // paragraph of its own and the definition is walked as normal content.
        flushLines();
        if (term) w.push('paragraph', term);
        term = null;
        w.visitChildren(item, inSection, depth + 1);
        w.flushParagraph();
      }
    }
    flushTerm();
    flushLines();
  });
}
