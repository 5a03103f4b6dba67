/**
 * Tables: one line per row, cells separated by ` | `. Layout tables that hold code (Pygments' line
 * numbers beside the code) are walked as flow instead.
 */
import type { BlockWalker } from './block-walker.js';
import { isChrome } from './chrome.js';
import { hasDescendantWhere, isElement, type DomElement } from './dom.js';
import { gatherText } from './gather-text.js';
import { headingText } from './headings.js';
import { normalizeInline } from './inline-text.js';

/** Upper bound on grid cells, so `rowspan`/`colspan` abuse cannot blow up memory or time. */
const MAX_TABLE_CELLS = 200_000;
const COLSPAN_ONLY = Symbol('colspan');
type GridCell = string | typeof COLSPAN_ONLY | undefined;

export function walkTable(w: BlockWalker, el: DomElement, inSection: boolean, depth: number): void {
  w.breakFlow();
  if (hasDescendantWhere(el, (node) => node.name === 'pre')) {
    // A layout table, typically Pygments' line numbers beside the code: walk it as flow.
    w.inFlow(() => w.visitChildren(el, inSection, depth));
    return;
  }
  const rows: DomElement[] = [];
  for (const child of el.children) {
    if (!isElement(child) || isChrome(child, true)) continue;
    if (child.name === 'caption') {
      w.push('paragraph', headingText(child));
    } else if (child.name === 'tr') {
      rows.push(child);
    } else if (child.name === 'thead' || child.name === 'tbody' || child.name === 'tfoot') {
      for (const row of child.children) {
        if (isElement(row) && row.name === 'tr' && !isChrome(row, true)) rows.push(row);
      }
    }
  }
  w.push('table', tableText(rows));
}

/** A cell's `rowspan` and `colspan`, bounded by the table and by what is left of the cell budget. */
function spans(cell: DomElement, rowsLeft: number, budget: number): { rowspan: number; colspan: number } {
  let rowspan = Number.parseInt(cell.attribs.rowspan ?? '1', 10);
  let colspan = Number.parseInt(cell.attribs.colspan ?? '1', 10);
  // rowspan="0" means "to the end of the table"; nonsense values mean 1.
  if (rowspan === 0) rowspan = rowsLeft;
  if (!Number.isFinite(rowspan) || rowspan < 1) rowspan = 1;
  if (!Number.isFinite(colspan) || colspan < 1) colspan = 1;
  rowspan = Math.min(rowspan, rowsLeft);
  colspan = Math.min(colspan, 1000);
  if (rowspan * colspan > budget) return { rowspan: 1, colspan: 1 };
  return { rowspan, colspan };
}

/**
 * One line per row, cells separated by ` | `. A cell spanning rows is repeated on each row it
 * covers (each line then reads on its own); a cell spanning columns is written once.
 */
function tableText(rows: DomElement[]): string {
  const grid: GridCell[][] = rows.map(() => []);
  let budget = MAX_TABLE_CELLS;
  rows.forEach((row, r) => {
    const line = grid[r] as GridCell[];
    let c = 0;
    for (const cell of row.children) {
      if (!isElement(cell) || (cell.name !== 'td' && cell.name !== 'th') || isChrome(cell, true)) continue;
      while (line[c] !== undefined) c++;
      const text = normalizeInline(gatherText(cell, 'line'));
      const { rowspan, colspan } = spans(cell, rows.length - r, budget);
      budget -= rowspan * colspan;
      for (let dr = 0; dr < rowspan; dr++) {
        const target = grid[r + dr] as GridCell[];
        for (let dc = 0; dc < colspan; dc++) target[c + dc] = dc === 0 ? text : COLSPAN_ONLY;
      }
      c += colspan;
    }
  });
  const lines: string[] = [];
  for (const line of grid) {
    const cells: string[] = [];
    for (const cell of line) if (cell !== COLSPAN_ONLY) cells.push(cell ?? '');
    while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
    if (cells.some((cell) => cell !== '')) lines.push(cells.join(' | '));
  }
  return lines.join('\n');
}
