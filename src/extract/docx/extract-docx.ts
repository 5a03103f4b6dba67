/**
 * Word (.docx) extraction: mammoth turns the document into HTML (headings, lists and tables as
 * their HTML elements), which the HTML extractor reads, so a Word file is chunked by heading like
 * a web page. mammoth is loaded on the first Word file.
 */
import { UnreadableDocumentError } from '../../errors.js';
import { lazyRequire } from '../../lazy-require.js';
import type { ExtractOptions, ExtractorResult } from '../extractor.js';
import { extractHtml } from '../html/extract-html.js';

/** The part of mammoth's API used here. */
interface Mammoth {
  convertToHtml(input: { buffer: Buffer }, options?: { convertImage?: unknown; externalFileAccess?: boolean }): Promise<{ value: string }>;
  images: { imgElement(convert: (image: unknown) => Promise<{ src: string }>): unknown };
}

const mammoth = lazyRequire<Mammoth>('mammoth');

/**
 * Read a Word document's title (its first `h1`) and blocks.
 *
 * @param bytes - The .docx file.
 * @param url - Where it came from, for messages.
 * @throws {UnreadableDocumentError} `corrupt` when it is no Word document mammoth can open.
 */
export async function extractDocx(bytes: Uint8Array, url: string, options: ExtractOptions = {}): Promise<ExtractorResult> {
  const lib = mammoth();
  let html: string;
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Images are left out (their text, if any, is not read): no base64 copies of every picture.
    const result = await lib.convertToHtml({ buffer }, { convertImage: lib.images.imgElement(async () => ({ src: '' })), externalFileAccess: false });
    html = result.value;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new UnreadableDocumentError(url, 'corrupt', `Skipped ${url}: not a readable Word document (${detail}).`, { cause: error });
  }
  return extractHtml(`<!doctype html><html><body><main>${html}</main></body></html>`, options);
}
