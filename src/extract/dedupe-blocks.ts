import type { Block } from '../types.js';

/**
 * Remove, in place, blocks from `start` on that repeat an earlier one of that range (same kind
 * and text) — the same snippet shown once per tab of a tab set. Headings are always kept.
 */
export function dedupeBlocksFrom(blocks: Block[], start: number): void {
  const seen = new Set<string>();
  let write = start;
  for (let read = start; read < blocks.length; read++) {
    const block = blocks[read] as Block;
    const key = `${block.kind}\u0000${block.text}`;
    if (block.kind !== 'heading' && seen.has(key)) continue;
    seen.add(key);
    blocks[write++] = block;
  }
  blocks.length = write;
}
