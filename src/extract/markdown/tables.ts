/** GFM pipe tables: one line per row, cells separated by ` | `. */
import { cleanInline } from './inline.js';
import { TABLE_DELIMITER_RE, isBlank, isBlockStart } from './syntax.js';

/** Split a pipe-table row into cells, ignoring pipes that are escaped or inside code spans. */
function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  let ticks = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\' && s[i + 1] === '|') {
      cell += '\\|';
      i++;
    } else if (ch === '`') {
      let run = 1;
      while (s[i + run] === '`') run++;
      if (ticks === 0) ticks = run;
      else if (ticks === run) ticks = 0;
      cell += '`'.repeat(run);
      i += run - 1;
    } else if (ch === '|' && ticks === 0) {
      cells.push(cell);
      cell = '';
    } else {
      cell += ch;
    }
  }
  cells.push(cell);
  return cells.map((c) => cleanInline(c));
}

/**
 * The pipe table whose header row is `lines[i]` (a delimiter row must follow), as text, and the
 * index of the line after it; undefined when no table starts there.
 */
export function readTable(lines: string[], i: number): { text: string; next: number } | undefined {
  const line = lines[i] as string;
  const delimiter = lines[i + 1];
  if (!line.includes('|') || delimiter === undefined || !delimiter.includes('|') || !TABLE_DELIMITER_RE.test(delimiter)) {
    return undefined;
  }
  const rows = [splitRow(line)];
  let j = i + 2;
  for (; j < lines.length; j++) {
    const row = lines[j] as string;
    if (isBlank(row) || !row.includes('|') || isBlockStart(row)) break;
    rows.push(splitRow(row));
  }
  const text = rows
    .map((cells) => {
      while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
      return cells.join(' | ');
    })
    .filter((row) => row.replace(/[ |]/g, '') !== '')
    .join('\n');
  return { text, next: j };
}
