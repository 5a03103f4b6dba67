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

/**
 * sha256 (hex) of a binary document (PDF, Word): its format, the format's reader version and its
 * bytes. An unchanged file is known unchanged before it is parsed, so a re-ingest reads nothing of
 * it; a new reader version (`Format.version`) reads every file again.
 */
export function bytesContentHash(format: string, version: string | undefined, bytes: Uint8Array): string {
  return createHash('sha256').update(`bytes:${format}:${version ?? ''}:`).update(bytes).digest('hex');
}
