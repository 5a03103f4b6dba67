import { createHash } from 'node:crypto';
import type { Block } from '../types.js';

/**
 * sha256 (hex) of everything later stages derive chunks and embeddings from: the title (it is part
 * of every chunk's embedding input) and each block's kind, level, heading path and text. Nothing
 * outside the main content enters it, so a changed menu or banner leaves the hash as it was.
 */
export function contentHash(title: string, blocks: Block[]): string {
  const canonical = JSON.stringify([title, blocks.map((b) => [b.kind, b.level ?? 0, b.headingPath, b.text])]);
  return createHash('sha256').update(canonical).digest('hex');
}
