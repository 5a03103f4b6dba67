/** Block quotes: quoted paragraphs become one quote block; quoted code, lists and tables keep their kind. */
import type { BlockWalker } from './block-walker.js';
import type { DomElement } from './dom.js';

export function walkQuote(w: BlockWalker, el: DomElement, inSection: boolean, depth: number): void {
  w.breakFlow();
  const start = w.blocks.length;
  w.inFlow(() => w.visitChildren(el, inSection, depth));
  // Paragraphs of a quote become one quote block; code, lists and tables quoted (or, in Sphinx,
  // merely indented) keep their kind.
  const inner = w.blocks.splice(start);
  let lines: string[] = [];
  let path: string[] = w.path;
  const flush = (): void => {
    if (lines.length > 0) w.blocks.push({ kind: 'quote', text: lines.join('\n'), headingPath: path.slice() });
    lines = [];
  };
  for (const block of inner) {
    if (block.kind === 'paragraph') {
      if (lines.length === 0) path = block.headingPath;
      lines.push(block.text);
    } else {
      flush();
      w.blocks.push(block);
    }
  }
  flush();
}
