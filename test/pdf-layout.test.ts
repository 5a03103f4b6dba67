/**
 * How a PDF's text items become blocks, on made-up lines: lines joined, hyphenation mended, running
 * headers and footers dropped, headings by outline or font size, pages kept; and how a chunk of a
 * paged document carries its page to its URL.
 */
import { joinLines, pdfBlocks } from '../src/extract/pdf/pdf-blocks.js';
import { headingLevels } from '../src/extract/pdf/pdf-headings.js';
import { pageLines, type PdfLine } from '../src/extract/pdf/pdf-lines.js';
import { withoutRunningLines } from '../src/extract/pdf/page-furniture.js';
import { chunkDocument } from '../src/stages/chunk.js';
import { chunkUrl } from '../src/store/chunk-rows.js';
import type { Block, ExtractedDocument } from '../src/types.js';

/** Lines top-down at 14 pt spacing in 10 pt type, unless given as [text, size]. */
function lines(...texts: Array<string | [string, number]>): PdfLine[] {
  let y = 800;
  return texts.map((t) => {
    const [text, size] = typeof t === 'string' ? [t, 10] : t;
    y -= size * 1.4;
    return { text, size, y };
  });
}

describe('PDF text items to lines', () => {
  test('items on one baseline join, with a space across a gap; hasEOL and a new baseline end a line', () => {
    const item = (str: string, x: number, y: number, width: number, hasEOL = false) => ({ str, transform: [10, 0, 0, 10, x, y], width, hasEOL });
    const got = pageLines([item('Retention', 10, 700, 45), item('policy', 60, 700, 30, true), { type: 'beginMarkedContent' }, item('Second', 10, 686, 30), item('line', 40, 686, 20)]);
    expect(got).toEqual([
      { text: 'Retention policy', size: 10, y: 700 },
      { text: 'Secondline', size: 10, y: 686 },
    ]);
  });
});

describe('PDF lines to blocks', () => {
  test('a word hyphenated at a line end is mended; a hyphen before a capital or a soft hyphen is handled', () => {
    expect(joinLines('the retention poli-', 'cy keeps logs')).toBe('the retention policy keeps logs');
    expect(joinLines('pre\u00ad', 'fix')).toBe('prefix');
    expect(joinLines('see the Deep-', 'Learning chapter')).toBe('see the Deep- Learning chapter');
    expect(joinLines('one line', 'and the next')).toBe('one line and the next');
  });

  test('paragraphs break at a gap, bullets make a list, and every block keeps its page', () => {
    const page1 = lines('First para-', 'graph goes on.');
    page1.push({ text: 'Second paragraph.', size: 10, y: (page1.at(-1)?.y ?? 0) - 40 });
    const page2 = lines('• apples', '• pears and', 'more pears');
    const blocks = pdfBlocks([page1, page2], () => undefined);
    expect(blocks).toEqual([
      { kind: 'paragraph', text: 'First paragraph goes on.', headingPath: [], page: 1 },
      { kind: 'paragraph', text: 'Second paragraph.', headingPath: [], page: 1 },
      { kind: 'list', text: '- apples\n- pears and more pears', headingPath: [], page: 2 },
    ]);
  });

  test('headings come from font size when there is no outline: larger is higher', () => {
    const pages = [lines(['Handbook', 24], ['Audit logs', 16], 'Body text set in ten point type for most of the page.', 'More body text.')];
    const blocks = pdfBlocks(pages, headingLevels(pages, []));
    expect(blocks.map((b) => [b.kind, b.level, b.headingPath])).toEqual([
      ['heading', 1, ['Handbook']],
      ['heading', 2, ['Handbook', 'Audit logs']],
      ['paragraph', undefined, ['Handbook', 'Audit logs']],
    ]);
  });

  test('headings come from the outline when there is one, on the page each entry points to', () => {
    const pages = [lines('Intro', 'Body of the intro.'), lines(['Big but not in the outline', 20], 'Setup', 'Body of setup.')];
    const outline = [
      { title: 'Intro', level: 1, page: 1 },
      { title: 'Setup', level: 2, page: 2 },
    ];
    const blocks = pdfBlocks(pages, headingLevels(pages, outline));
    expect(blocks.filter((b) => b.kind === 'heading').map((b) => [b.text, b.level, b.page])).toEqual([
      ['Intro', 1, 1],
      ['Setup', 2, 2],
    ]);
  });
});

describe('running headers and footers', () => {
  const body = ['Apples grow on trees.', 'Chapter 7 is about pears.', 'Plums come last.', 'The index.'];
  const page = (n: number) => lines('Operations Handbook — printed 12/6/26', body[n - 1] as string, `Page ${n} of 4`);

  test('lines repeated at the top or bottom of most pages, page numbers aside, are dropped', () => {
    const kept = withoutRunningLines([1, 2, 3, 4].map(page));
    expect(kept.map((l) => l.map((x) => x.text))).toEqual(body.map((text) => [text]));
  });

  test('a page number inside a word (a temp folder of a URL) does not make the line differ', () => {
    const pages = body.map((text, i) => lines(text, `file:///tmp/x-a3b/handbook.html ${i + 1}/4`));
    expect(withoutRunningLines(pages).flat().map((l) => l.text)).toEqual(body);
  });

  test('lines that differ by other numbers than the page number are kept', () => {
    const pages = [1, 2, 3, 4].map((n) => lines(`Section ${n + 4} starts here`, 'Text.'));
    expect(withoutRunningLines(pages).flat().filter((l) => l.text.startsWith('Section'))).toHaveLength(4);
  });

  test('documents under three pages are left as they are', () => {
    expect(withoutRunningLines([page(1), page(2)]).flat()).toHaveLength(6);
  });
});

describe('chunks of a paged document', () => {
  const block = (text: string, page: number, kind: Block['kind'] = 'paragraph'): Block => ({ kind, text, headingPath: [], page });
  const doc = (blocks: Block[]): ExtractedDocument => ({ url: 'file:///h.pdf', title: 'H', contentType: 'application/pdf', fetchedAt: new Date(), blocks, contentHash: 'x' });

  test("a chunk's URL and metadata name the page it starts on", () => {
    const long = (n: number) => Array.from({ length: 60 }, (_, i) => `Sentence ${i} of page ${n} says something.`).join(' ');
    const chunks = chunkDocument(doc([block(long(1), 1), block(long(2), 2), block(long(3), 3)]), { maxTokens: 300 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      const page = Number(/of page (\d)/.exec(c.text)?.[1]);
      expect([c.url, c.metadata]).toEqual([`file:///h.pdf#page=${page}`, { page }]);
    }
  });

  test('a stored chunk is cited by its page; documents without pages keep their URL', () => {
    expect(chunkUrl('https://x.test/h.pdf', { page: 4 })).toBe('https://x.test/h.pdf#page=4');
    expect(chunkUrl('https://x.test/guide/', {})).toBe('https://x.test/guide/');
    expect(chunkUrl('https://x.test/guide/', { page: 'four' })).toBe('https://x.test/guide/');
  });
});
