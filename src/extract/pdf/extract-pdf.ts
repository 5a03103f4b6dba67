/**
 * PDF extraction through pdf.js: the text of each page in the order the page draws it, running
 * headers and footers removed, headings from the outline (else from font size), paragraphs with
 * line-end hyphenation mended; every block knows its page. Pages are read one at a time and their
 * parsed state released, so memory holds the file and the text, not every page's drawing.
 */
import { UnreadableDocumentError } from '../../errors.js';
import type { Block } from '../../types.js';
import type { ExtractorResult } from '../extractor.js';
import { loadPdfJs } from './load-pdfjs.js';
import { pdfBlocks } from './pdf-blocks.js';
import { headingLevels, type OutlineEntry } from './pdf-headings.js';
import { pageLines, type PdfLine } from './pdf-lines.js';
import { withoutRunningLines } from './page-furniture.js';

/** The part of pdf.js's document proxy read here. */
type PdfDocument = Awaited<ReturnType<Awaited<ReturnType<typeof loadPdfJs>>['getDocument']>['promise']>;
type OutlineNode = Awaited<ReturnType<PdfDocument['getOutline']>>[number];

/** Why pdf.js refused a file, as a skip reason and a line for the user. */
function refusal(url: string, error: unknown): UnreadableDocumentError {
  const name = (error as { name?: unknown } | null)?.name;
  const detail = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException') {
    return new UnreadableDocumentError(url, 'encrypted', `Skipped ${url}: encrypted PDF (it needs a password); save a copy without one to ingest it.`, { cause: error });
  }
  return new UnreadableDocumentError(url, 'corrupt', `Skipped ${url}: not a readable PDF (${detail}).`, { cause: error });
}

/** 1-based page of an outline entry's destination, or undefined when it points nowhere readable. */
async function destinationPage(pdf: PdfDocument, dest: OutlineNode['dest']): Promise<number | undefined> {
  try {
    const explicit = typeof dest === 'string' ? await pdf.getDestination(dest) : dest;
    const target: unknown = explicit?.[0];
    if (typeof target === 'number') return target + 1;
    if (target !== null && typeof target === 'object') return (await pdf.getPageIndex(target as Parameters<PdfDocument['getPageIndex']>[0])) + 1;
  } catch {
    // A broken destination: the entry is no heading.
  }
  return undefined;
}

/** The outline's entries whose page is known, depth first. */
async function outlineEntries(pdf: PdfDocument): Promise<OutlineEntry[]> {
  const entries: OutlineEntry[] = [];
  const visit = async (nodes: readonly OutlineNode[], level: number): Promise<void> => {
    for (const node of nodes) {
      const page = await destinationPage(pdf, node.dest);
      if (page !== undefined && node.title.trim() !== '') entries.push({ title: node.title.trim(), level, page });
      if (node.items.length > 0) await visit(node.items as OutlineNode[], level + 1);
    }
  };
  await visit((await pdf.getOutline().catch(() => null)) ?? [], 1);
  return entries;
}

/** The lines of every page, one page parsed at a time. */
async function allPageLines(pdf: PdfDocument): Promise<PdfLine[][]> {
  const pages: PdfLine[][] = [];
  for (let n = 1; n <= pdf.numPages; n++) {
    const page = await pdf.getPage(n);
    try {
      pages.push(pageLines((await page.getTextContent()).items));
    } finally {
      page.cleanup();
    }
  }
  return pages;
}

/** The document's title from its metadata, when it has a real one. */
async function metadataTitle(pdf: PdfDocument): Promise<string | undefined> {
  const info = (await pdf.getMetadata().catch(() => undefined))?.info as { Title?: unknown } | undefined;
  const title = typeof info?.Title === 'string' ? info.Title.trim() : '';
  return title !== '' && !/^untitled$/i.test(title) ? title : undefined;
}

/**
 * Read a PDF's title and blocks (each with its `page`).
 *
 * @param bytes - The file (not modified).
 * @param url - Where it came from, for messages.
 * @throws {UnreadableDocumentError} `encrypted`, `corrupt`, or `image-only` when no page has text.
 */
export async function extractPdf(bytes: Uint8Array, url: string): Promise<ExtractorResult> {
  const pdfjs = await loadPdfJs();
  let task: ReturnType<typeof pdfjs.getDocument> | undefined;
  let pdf: PdfDocument;
  try {
    // pdf.js takes a plain Uint8Array (not a Buffer) and may take it over: it gets a copy.
    task = pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, useSystemFonts: false, verbosity: 0 });
    pdf = await task.promise;
  } catch (error) {
    await task?.destroy().catch(() => undefined);
    throw refusal(url, error);
  }
  try {
    const pages = await allPageLines(pdf);
    if (pages.every((lines) => lines.length === 0)) {
      throw new UnreadableDocumentError(url, 'image-only', `Skipped ${url}: image only: OCR is not built (its ${pdf.numPages} page(s) have no text layer).`);
    }
    const outline = await outlineEntries(pdf);
    const kept = withoutRunningLines(pages);
    const blocks: Block[] = pdfBlocks(kept, headingLevels(kept, outline));
    return { title: await metadataTitle(pdf), blocks };
  } catch (error) {
    throw error instanceof UnreadableDocumentError ? error : refusal(url, error);
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}
