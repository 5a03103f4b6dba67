/** HTML comments in Markdown, which are not text. */
import { closesFence, isBlank, isFenceOpen } from './syntax.js';

/** Remove HTML comments outside code fences. A line that held only a comment disappears. */
export function stripComments(lines: string[]): string[] {
  const out: string[] = [];
  let fence: string | null = null;
  let inComment = false;
  for (const original of lines) {
    if (fence !== null) {
      out.push(original);
      if (closesFence(original, fence)) fence = null;
      continue;
    }
    let line = original;
    if (inComment) {
      const end = line.indexOf('-->');
      if (end < 0) continue;
      line = line.slice(end + 3);
      inComment = false;
    }
    for (;;) {
      const start = line.indexOf('<!--');
      if (start < 0) break;
      const end = line.indexOf('-->', start + 4);
      if (end < 0) {
        line = line.slice(0, start);
        inComment = true;
        break;
      }
      line = line.slice(0, start) + line.slice(end + 3);
    }
    if (line !== original && isBlank(line)) continue;
    const open = line === original ? isFenceOpen(line) : null;
    if (open !== null) fence = open[2] as string;
    out.push(line);
  }
  return out;
}
