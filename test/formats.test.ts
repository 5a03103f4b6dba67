import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, InputError, UnreadableDocumentError } from '../src/errors.js';
import type { Format } from '../src/formats/format.js';
import {
  formatForContentType,
  formatForFile,
  formatForResponse,
  registerFormat,
  supportedExtensions,
} from '../src/formats/registry.js';
import { extract, extractDocument } from '../src/stages/extract.js';
import { readFiles, type ReadFilesEvent } from '../src/stages/read-files.js';
import { crawl, type CrawlEvent } from '../src/stages/crawl.js';
import type { ExtractedDocument, SourceDocument } from '../src/types.js';

const nameOf = (format: Format | undefined): string | undefined => format?.name;

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

// The registry is shared by the whole file: the tests of the built-in formats run before any
// format is registered.
describe('the built-in formats', () => {
  test('are found by file extension, in any case, and not for other extensions', () => {
    expect(['a.html', 'b.HTM', 'docs/c.md', 'd.Markdown', 'e.txt'].map((f) => nameOf(formatForFile(f)))).toEqual([
      'html', 'html', 'markdown', 'markdown', 'text',
    ]);
    expect(formatForFile('image.png')).toBeUndefined();
    expect(formatForFile('Makefile')).toBeUndefined();
    expect(supportedExtensions()).toEqual(['html', 'htm', 'md', 'markdown', 'txt', 'pdf', 'docx']);
  });

  test('are found by content type with parameters and in any case; other text/* types are plain text', () => {
    expect(nameOf(formatForContentType('text/html; charset=utf-8'))).toBe('html');
    expect(nameOf(formatForContentType('Application/XHTML+XML'))).toBe('html');
    expect(nameOf(formatForContentType('TEXT/X-MARKDOWN'))).toBe('markdown');
    expect(nameOf(formatForContentType('text/csv'))).toBe('text');
    expect(nameOf(formatForContentType('application/pdf'))).toBe('pdf');
    expect(formatForContentType('image/png')).toBeUndefined();
  });

  test('a response is its media type; text/plain defers to a text format of the URL extension', () => {
    expect(nameOf(formatForResponse('text/html; charset=utf-8', 'https://x.test/guide/').format)).toBe('html');
    expect(nameOf(formatForResponse('text/plain', 'https://x.test/README.md').format)).toBe('markdown');
    expect(nameOf(formatForResponse('text/plain; charset=utf-8', 'https://x.test/notes').format)).toBe('text');
    expect(nameOf(formatForResponse('text/markdown', new URL('https://x.test/a.txt')).format)).toBe('markdown');
  });

  test('a response of a type no format reads says so, naming the URL and the type', () => {
    const png = formatForResponse('image/png', 'https://x.test/logo.png');
    expect(png).toEqual({ format: undefined, reason: 'unsupported-type', message: expect.stringMatching(/https:\/\/x\.test\/logo\.png.*image\/png/) });
    // Unlike extraction, crawling takes no text/* type that no format lists.
    expect(formatForResponse('text/css', 'https://x.test/site.css').reason).toBe('unsupported-type');
    expect(formatForResponse('application/json', 'https://x.test/data.md').reason).toBe('unsupported-type');
  });

  test('an untyped response is its URL extension, else its first bytes', () => {
    expect(nameOf(formatForResponse('', 'https://x.test/page.md').format)).toBe('markdown');
    expect(nameOf(formatForResponse('application/octet-stream', 'https://x.test/notes.TXT').format)).toBe('text');
    expect(formatForResponse('', 'https://x.test/page').reason).toBe('needs-bytes');
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const page = Buffer.concat([bom, Buffer.from('\n<!-- generated -->\n<!DOCTYPE html><html><p>x</p>')]);
    expect(nameOf(formatForResponse('', 'https://x.test/page', page).format)).toBe('html');
    expect(nameOf(formatForResponse('', 'https://x.test/page', '  <html lang="en">').format)).toBe('html');
    expect(nameOf(formatForResponse('', 'https://x.test/download?id=3', Buffer.from('%PDF-1.7\n%\xe2\xe3')).format)).toBe('pdf');
    const docx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(26), Buffer.from('[Content_Types].xml')]);
    expect(nameOf(formatForResponse('application/octet-stream', 'https://x.test/get/42', docx).format)).toBe('docx');
    const unknown = formatForResponse('binary/octet-stream', 'https://x.test/blob', Buffer.from([0, 1, 2, 3]));
    expect(unknown).toMatchObject({ format: undefined, reason: 'unrecognised' });
  });
});

describe('registerFormat', () => {
  let root: string;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ragline-formats-'));
  });
  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  /** Comma-separated values: one table block, rows as ` | ` lines. */
  const csv: Format = {
    name: 'csv',
    extensions: ['.CSV'],
    mediaTypes: ['text/csv'],
    body: 'text',
    extract: (text) => ({ title: undefined, blocks: [{ kind: 'table', text: text.trim().split('\n').map((row) => row.split(',').join(' | ')).join('\n'), headingPath: [] }] }),
  };

  /** A made-up binary format: magic `RGL1`, then a UTF-16LE title; read asynchronously. */
  const MAGIC = Buffer.from('RGL1');
  const rgl: Format = {
    name: 'rgl',
    extensions: ['rgl'],
    mediaTypes: ['application/x-ragline-test'],
    sniff: (head) => MAGIC.equals(Buffer.from(head.subarray(0, 4))),
    body: 'bytes',
    extract: async (bytes, doc) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const title = Buffer.from(bytes.subarray(4)).toString('utf16le');
      return { title, blocks: [{ kind: 'paragraph', text: `${title} from ${doc.url.slice(-5)}`, headingPath: [] }] };
    },
  };
  const rglFile = Buffer.concat([MAGIC, Buffer.from('Binary notes', 'utf16le')]);

  test('refuses formats with missing or mistyped fields, naming the field', () => {
    const bad = (fields: Record<string, unknown>) => () => registerFormat({ ...csv, name: 'bad', ...fields } as unknown as Format);
    expect(bad({ body: 'binary' })).toThrow(ConfigError);
    expect(bad({ mediaTypes: [] })).toThrow(/Format bad: mediaTypes must be an array of at least 1 non-empty strings/);
    expect(bad({ extensions: 'csv' })).toThrow(/extensions/);
    expect(bad({ extract: undefined })).toThrow(/extract must be a function/);
    expect(bad({ name: '' })).toThrow(/name/);
    expect(supportedExtensions()).not.toContain('bad');
  });

  test('a registered text format is used by folder reading and by the extract stage', async () => {
    registerFormat(csv);
    expect(nameOf(formatForFile('prices.csv'))).toBe('csv');
    expect(nameOf(formatForResponse('text/csv; charset=utf-8', 'https://x.test/prices').format)).toBe('csv');
    expect(supportedExtensions()).toEqual(['html', 'htm', 'md', 'markdown', 'txt', 'pdf', 'docx', 'csv']);
    await fs.writeFile(path.join(root, 'prices.CSV'), 'fruit,price\napple,3\n');
    await fs.writeFile(path.join(root, 'readme.md'), '# Prices');
    await fs.writeFile(path.join(root, 'photo.jpg'), Buffer.from([0xff, 0xd8, 0xff]));
    const events: ReadFilesEvent[] = [];
    const docs = await collect(readFiles(root, { onEvent: (event) => events.push(event) }));
    expect(docs.map((d) => [path.basename(d.url), d.contentType])).toEqual([['prices.CSV', 'text/csv'], ['readme.md', 'text/markdown']]);
    expect(events.find((e) => e.type === 'skip')?.message).toMatch(/photo\.jpg: not \.html, \.htm, \.md, \.markdown, \.txt, \.pdf, \.docx or \.csv\./);
    const extracted = await collect(extract(docs));
    expect(extracted.map((d) => [d.title, d.blocks.map((b) => [b.kind, b.text])])).toEqual([
      ['prices.CSV', [['table', 'fruit | price\napple | 3']]],
      ['Prices', [['heading', 'Prices']]],
    ]);
  });

  test('a registered binary format is read as bytes, found by magic bytes, and extracted asynchronously', async () => {
    registerFormat(rgl);
    const sniffed = formatForResponse('application/octet-stream', 'https://x.test/download?id=7', rglFile);
    expect(nameOf(sniffed.format)).toBe('rgl');
    await fs.writeFile(path.join(root, 'notes.rgl'), rglFile);
    const [doc] = await collect(readFiles(path.join(root, 'notes.rgl')));
    expect(doc?.contentType).toBe('application/x-ragline-test');
    expect(doc?.body).toBeInstanceOf(Uint8Array);
    const [extracted] = await collect(extract([doc as SourceDocument]));
    expect(extracted).toMatchObject({ title: 'Binary notes', blocks: [{ kind: 'paragraph', text: 'Binary notes from s.rgl' }] });
    // The synchronous entry point cannot wait for it, and says what to use instead.
    expect(() => extractDocument(doc as SourceDocument)).toThrow(/asynchronous\. Use extract\(\)/);
    // A binary format given text is an input error, not a crash inside the extractor.
    const asText: SourceDocument = { ...(doc as SourceDocument), body: 'RGL1 text' };
    await expect(collect(extract([asText]))).rejects.toThrow(InputError);
  });

  test('the crawl yields registered text and bytes formats by their content type, bytes as bytes', async () => {
    const files: Record<string, [string, string | Buffer]> = {
      '/': ['text/html', '<html><body><main><h1>Index</h1><p>See <a href="/prices">prices</a> and <a href="/notes">notes</a>.</p></main></body></html>'],
      '/prices': ['text/csv; charset=utf-8', 'fruit,price\napple,3\n'],
      '/notes': ['application/x-ragline-test', rglFile],
    };
    const server = http.createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const events: CrawlEvent[] = [];
      const pages = await collect(crawl(`${base}/`, { allowPrivateNetwork: true, robots: false, sitemaps: false, onEvent: (e) => events.push(e) }));
      expect(pages.map((p) => [new URL(p.url).pathname, p.contentType])).toEqual([['/', 'text/html'], ['/prices', 'text/csv'], ['/notes', 'application/x-ragline-test']]);
      expect(pages[2]?.body).toBeInstanceOf(Uint8Array);
      expect(events.filter((e) => e.type === 'skip')).toEqual([]);
      const [, prices] = await collect(extract(pages));
      expect(prices?.blocks.map((b) => b.text)).toEqual(['fruit | price\napple | 3']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('with onUnreadable, a document whose reader crashes or refuses it is skipped with its reason and the stream goes on', async () => {
    registerFormat({
      name: 'crashy',
      extensions: ['crash'],
      mediaTypes: ['application/x-crashy'],
      body: 'bytes',
      extract: (bytes, doc) => {
        if (bytes[0] === 1) throw new UnreadableDocumentError(doc.url, 'encrypted', `Skipped ${doc.url}: locked.`);
        throw new TypeError('Cannot read properties of undefined');
      },
    });
    const doc = (url: string, contentType: string, body: string | Uint8Array): SourceDocument => ({ url, contentType, body, fetchedAt: new Date() });
    const skipped: Array<[string, string, string]> = [];
    const docs = await collect(
      extract([doc('file:///a.crash', 'application/x-crashy', new Uint8Array([0])), doc('file:///b.crash', 'application/x-crashy', new Uint8Array([1])), doc('file:///c.gif', 'image/gif', 'GIF89a'), doc('file:///d.txt', 'text/plain', 'Still here.')], {
        onUnreadable: (d, error) => skipped.push([d.url, error.reason, error.message]),
      }),
    );
    expect(docs.map((d) => d.url)).toEqual(['file:///d.txt']);
    expect(skipped).toEqual([
      ['file:///a.crash', 'unreadable', 'Skipped file:///a.crash: its reader failed (Cannot read properties of undefined).'],
      ['file:///b.crash', 'encrypted', 'Skipped file:///b.crash: locked.'],
      ['file:///c.gif', 'unsupported-type', expect.stringMatching(/file:\/\/\/c\.gif.*image\/gif/)],
    ]);
    // Without it, the first such document ends the stream, as before.
    await expect(collect(extract([doc('file:///a.crash', 'application/x-crashy', new Uint8Array([0]))]))).rejects.toThrow(InputError);
  });

  test('a text format given bytes gets them decoded', () => {
    const doc = extractDocument({ url: 'file:///a.md', contentType: 'text/markdown', body: Buffer.from('# Café\n\nnaïve'), fetchedAt: new Date(0) });
    expect(doc.blocks.map((b) => b.text)).toEqual(['Café', 'naïve']);
  });

  test('registering a taken name replaces that format; later formats win shared extensions', async () => {
    const shouting: Format = {
      name: 'csv',
      extensions: ['csv', 'txt'],
      mediaTypes: ['text/csv'],
      body: 'text',
      extract: (text) => ({ title: 'LOUD', blocks: [{ kind: 'paragraph', text: text.toUpperCase(), headingPath: [] }] }),
    };
    registerFormat(shouting);
    expect(supportedExtensions().filter((e) => e === 'csv')).toEqual(['csv']);
    expect(nameOf(formatForFile('notes.txt'))).toBe('csv');
    const doc: ExtractedDocument = extractDocument({ url: 'file:///a.csv', contentType: 'text/csv', body: 'a,b', fetchedAt: new Date(0) });
    expect([doc.title, doc.blocks[0]?.text]).toEqual(['LOUD', 'A,B']);
  });
});
