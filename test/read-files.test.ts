import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../src/errors.js';
import { readFiles, type ReadFilesEvent } from '../src/stages/read-files.js';
import type { SourceDocument } from '../src/types.js';

let root: string;

/** Write a file, creating its folders. */
async function write(relative: string, content: string | Buffer): Promise<void> {
  const file = path.join(root, relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
}

async function collect(docs: AsyncIterable<SourceDocument>): Promise<SourceDocument[]> {
  const all: SourceDocument[] = [];
  for await (const doc of docs) all.push(doc);
  return all;
}

const url = (relative: string): string => pathToFileURL(path.join(root, relative)).href;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'ragline-read-files-'));
  await write('a.md', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('# A\n\nnaïve ✓\n')]));
  await write('b.txt', 'plain text');
  await write('index.html', '<html><body><p>Index</p></body></html>');
  await write('Zeta.htm', '<p>Zeta</p>');
  await write('sub/nested.markdown', '# Nested');
  await write('sub/deeper/page.HTML', '<p>Deep</p>');
  // windows-1252 bytes for "café “quoted”", declared by a meta tag.
  await write(
    'latin.html',
    Buffer.concat([Buffer.from('<meta charset="windows-1252"><p>caf'), Buffer.from([0xe9, 0x20, 0x93]), Buffer.from('quoted'), Buffer.from([0x94])]),
  );
  await write('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  await write('big.md', 'x'.repeat(5000));
  await write('.hidden/secret.md', 'secret');
  await write('.dotfile.md', 'hidden file');
  await write('node_modules/pkg/readme.md', 'dependency docs');
  await fs.symlink(path.join(root, 'b.txt'), path.join(root, 'link-to-file.txt'));
  await fs.symlink(path.join(root, 'sub'), path.join(root, 'link-to-dir'));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('readFiles of a folder', () => {
  let docs: SourceDocument[];
  let events: ReadFilesEvent[];

  beforeAll(async () => {
    events = [];
    docs = await collect(readFiles(root, { maxBytes: 4096, onEvent: (event) => events.push(event) }));
  });

  test('yields supported files recursively, in sorted order, with file: URLs and types', () => {
    expect(docs.map((doc) => [doc.url, doc.contentType])).toEqual([
      [url('Zeta.htm'), 'text/html'],
      [url('a.md'), 'text/markdown'],
      [url('b.txt'), 'text/plain'],
      [url('index.html'), 'text/html'],
      [url('latin.html'), 'text/html'],
      [url('link-to-file.txt'), 'text/plain'],
      [url('sub/deeper/page.HTML'), 'text/html'],
      [url('sub/nested.markdown'), 'text/markdown'],
    ]);
    expect(docs.every((doc) => doc.status === 200 && doc.depth === 0 && doc.fetchedAt instanceof Date)).toBe(true);
  });

  test('decodes UTF-8 and strips the BOM', () => {
    expect(docs[1]?.body).toBe('# A\n\nnaïve ✓\n');
  });

  test('honours a <meta charset> in HTML files', () => {
    expect(docs[4]?.body).toBe('<meta charset="windows-1252"><p>café “quoted”');
  });

  test('leaves out hidden entries, node_modules and symbolic links to folders', () => {
    const urls = [...docs.map((doc) => doc.url), ...events.map((event) => event.url)];
    expect(urls.some((u) => u.includes('secret') || u.includes('dotfile') || u.includes('node_modules'))).toBe(false);
    expect(urls.some((u) => u.includes('link-to-dir'))).toBe(false);
  });

  test('skips files over maxBytes and unsupported types, with an event each', () => {
    const skips = events.filter((event) => event.type === 'skip');
    expect(skips).toEqual([
      expect.objectContaining({ url: url('big.md'), reason: 'too-large', bytes: 5000 }),
      expect.objectContaining({ url: url('image.png'), reason: 'unsupported-type' }),
    ]);
    expect(events.filter((event) => event.type === 'file')).toHaveLength(docs.length);
  });
});

describe('readFiles of other paths', () => {
  test('accepts a single file, a relative path and a file: URL', async () => {
    const single = await collect(readFiles(path.join(root, 'b.txt')));
    expect(single).toEqual([expect.objectContaining({ url: url('b.txt'), body: 'plain text' })]);
    const relative = await collect(readFiles(path.relative(process.cwd(), path.join(root, 'sub'))));
    expect(relative.map((doc) => doc.url)).toEqual([url('sub/deeper/page.HTML'), url('sub/nested.markdown')]);
    const fromUrl = await collect(readFiles(new URL(url('sub/nested.markdown'))));
    expect(fromUrl.map((doc) => doc.body)).toEqual(['# Nested']);
  });

  test('a path that does not exist is a ConfigError with one clear line', async () => {
    const missing = path.join(root, 'nope');
    const error = await collect(readFiles(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`${missing} does not exist; pass an existing folder or file.`);
    expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
  });

  test('a path that is neither file nor folder is a ConfigError', async () => {
    await expect(collect(readFiles('/dev/null'))).rejects.toThrow(/is neither a folder nor a file/);
  });

  test('a single file of an unsupported type is a ConfigError', async () => {
    await expect(collect(readFiles(path.join(root, 'image.png')))).rejects.toThrow(
      /is not a supported file type; ragline reads \.html, \.htm, \.md, \.markdown, \.txt, \.pdf and \.docx files\./
    );
  });

  test('invalid options are a ConfigError when called', () => {
    expect(() => readFiles(root, { maxBytes: 0 })).toThrow('Expected `maxBytes` to be an integer from 1 and up, got `0` (number).');
    expect(() => readFiles('')).toThrow(ConfigError);
    expect(() => readFiles(new URL('https://example.com/'))).toThrow(/not a file: URL/);
  });
});
