/** PDF and Word (.docx): the binary formats ragline reads out of the box. */
import { extractDocx } from '../extract/docx/extract-docx.js';
import { extractPdf } from '../extract/pdf/extract-pdf.js';
import type { BytesFormat } from './format.js';

const startsWith = (head: Uint8Array, magic: readonly number[]): boolean => magic.every((b, i) => head[i] === b);

/** `%PDF-`; readers allow it anywhere in the first KiB, after junk a server or mail gateway put first. */
function sniffPdf(head: Uint8Array): boolean {
  return Buffer.from(head.buffer, head.byteOffset, head.length).indexOf('%PDF-', 0, 'latin1') >= 0;
}

/** A ZIP (`PK\x03\x04`) whose first entries are Word's (`word/...`) or an Office package's manifest. */
function sniffDocx(head: Uint8Array): boolean {
  if (!startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return false;
  const text = Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1');
  return text.includes('word/') || text.includes('[Content_Types].xml');
}

export const pdfFormat: BytesFormat = {
  name: 'pdf',
  extensions: ['pdf'],
  mediaTypes: ['application/pdf', 'application/x-pdf'],
  sniff: sniffPdf,
  body: 'bytes',
  version: '1',
  extract: (bytes, doc) => extractPdf(bytes, doc.url),
};

export const docxFormat: BytesFormat = {
  name: 'docx',
  extensions: ['docx'],
  mediaTypes: ['application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  sniff: sniffDocx,
  body: 'bytes',
  version: '1',
  extract: (bytes, doc, options) => extractDocx(bytes, doc.url, options),
};
