/**
 * The binary wire form of a tsvector, for `COPY ... (FORMAT binary)`: a Postgres protocol detail of
 * the store, kept apart from the keyword analysis that builds the entries.
 */
import type { KeywordEntry } from '../text/keywords.js';

/** The binary form of a tsvector (what `tsvectorrecv` reads): for COPY ... (FORMAT binary). */
export function encodeTsvector(entries: readonly KeywordEntry[]): Buffer {
  const lexemes = entries.map((e) => Buffer.from(e.lexeme, 'utf8'));
  const size = 4 + entries.reduce((n, e, i) => n + lexemes[i]!.length + 1 + 2 + 2 * e.positions.length, 0);
  const buf = Buffer.allocUnsafe(size);
  let at = buf.writeInt32BE(entries.length, 0);
  entries.forEach((e, i) => {
    at += lexemes[i]!.copy(buf, at);
    buf[at++] = 0;
    at = buf.writeUInt16BE(e.positions.length, at);
    for (const p of e.positions) at = buf.writeUInt16BE(p, at);
  });
  return buf;
}
