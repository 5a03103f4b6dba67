/** Headings: a heading block, and the heading path of the blocks that follow it. */
import { enterHeading } from '../heading-path.js';
import type { BlockWalker } from './block-walker.js';
import type { DomElement } from './dom.js';
import { gatherText } from './gather-text.js';
import { normalizeInline, stripPermalink } from './inline-text.js';

/** The text of a heading-like element (also `dt`, `caption`), without its permalink anchors. */
export function headingText(el: DomElement): string {
  return stripPermalink(normalizeInline(gatherText(el, 'line', true)));
}

export function walkHeading(w: BlockWalker, el: DomElement, level: number): void {
  w.breakFlow();
  const text = headingText(el);
  if (!text) return;
  w.path = enterHeading(w.headings, level, text);
  w.push('heading', text, level);
}
