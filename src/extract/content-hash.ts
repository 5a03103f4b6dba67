import { createHash } from 'node:crypto';
import type { Block } from '../types.js';

/**
 * sha256 (hex) of everything later stages derive chunks and embeddings from: the title (it is part
 * of every chunk's embedding input) and each block's kind, level, heading path and text. Nothing
 * outside the main content enters it, so a changed menu or banner leaves the hash as it was. A
 * block's page (PDF) counts when it has one, so text moved to another page is cut and cited anew.
 */
export function contentHash(title: string, blocks: Block[]): string {
  const canonical = JSON.stringify([title, blocks.map((b) => (b.page === undefined ? [b.kind, b.level ?? 0, b.headingPath, b.text] : [b.kind, b.level ?? 0, b.headingPath, b.text, b.page]))]);
  return createHash('sha256').update(canonical).digest('hex');
}
