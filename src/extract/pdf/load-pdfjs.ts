/**
 * pdf.js (Mozilla's `pdfjs-dist`), loaded on the first PDF: `import 'ragline'` stays cheap and a
 * process that reads no PDF never loads it. Its legacy build is the one meant for Node.
 */
export type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let loading: Promise<PdfJs> | undefined;

/** The pdf.js module, imported once. */
export function loadPdfJs(): Promise<PdfJs> {
  loading ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return loading;
}
