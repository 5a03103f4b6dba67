/**
 * Turning fetched bytes into text the way browsers do: charset from a byte-order mark, the
 * `content-type` header, or a `<meta>` near the top, with windows-1252 decoded correctly.
 */
import { TextDecoder } from 'node:util';

const SNIFF_BYTES = 1024;

/** Parse a `content-type` header into its lower-case media type and charset label. */
export function parseContentType(header: string | undefined): { type: string; charset?: string } {
  if (header === undefined) return { type: '' };
  const type = (header.split(';')[0] ?? '').trim().toLowerCase();
  const charset = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(header);
  const label = (charset?.[1] ?? charset?.[2] ?? '').trim();
  return label === '' ? { type } : { type, charset: label };
}

/** A `TextDecoder` for a label, or undefined when Node does not know the label. */
function decoderFor(label: string): TextDecoder | undefined {
  try {
    return new TextDecoder(label);
  } catch {
    return undefined;
  }
}

/**
 * Decode a body to text. The charset comes from a byte-order mark, else the `content-type`
 * header's `charset`, else (for HTML or an unknown type) a `<meta charset>` or
 * `<meta http-equiv="content-type">` in the first 1024 bytes, else UTF-8. Unknown labels fall
 * back to UTF-8; invalid bytes become U+FFFD. A UTF-8 BOM is stripped.
 * @param bytes the raw (already content-decoded) body
 * @param contentTypeHeader the `content-type` header, if any
 */
export function decodeText(bytes: Uint8Array, contentTypeHeader?: string): string {
  // A BOM is the most reliable signal there is (the WHATWG encoding standard puts it first).
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);

  const { type, charset } = parseContentType(contentTypeHeader);
  let decoder = charset === undefined ? undefined : decoderFor(charset);
  if (decoder === undefined && (type === '' || type === 'text/html' || type === 'application/xhtml+xml')) {
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SNIFF_BYTES)).toString('latin1');
    const meta = /<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head);
    // A page that says UTF-16 in ASCII-compatible bytes cannot be UTF-16 (WHATWG rule).
    if (meta?.[1] !== undefined && !/^utf-16/i.test(meta[1])) decoder = decoderFor(meta[1]);
  }
  if (decoder?.encoding === 'windows-1252') return decodeWindows1252(bytes);
  return (decoder ?? new TextDecoder('utf-8')).decode(bytes);
}

/**
 * Characters of windows-1252 bytes 0x80-0x9F (WHATWG index). Node 20's `TextDecoder` decodes
 * windows-1252 (and its aliases latin1, iso-8859-1, ascii) as ISO-8859-1, turning curly quotes
 * and the euro sign into C1 controls (nodejs/node#56542), so that one encoding is done here.
 */
const WINDOWS_1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (char) => WINDOWS_1252_HIGH[char.charCodeAt(0) - 0x80] ?? char);
}
