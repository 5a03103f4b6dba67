/** Code blocks (`pre`): text kept as written. */
import type { BlockWalker } from './block-walker.js';
import type { DomElement } from './dom.js';
import { gatherText } from './gather-text.js';

/** Code keeps its spacing; only carriage returns, NBSPs and blank edges go. */
function normalizeCode(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(/\u00a0/g, ' ')
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '')
    .replace(/^(?:[ \t]*\n)+/, '')
    .replace(/\s+$/, '');
}

export function walkCode(w: BlockWalker, el: DomElement): void {
  w.breakFlow();
  w.push('code', normalizeCode(gatherText(el, 'pre')));
}
