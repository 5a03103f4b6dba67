import { chunk, chunkDocument, chunkingFingerprint } from '../src/stages/chunk.js';
import { chunkKeywords } from '../src/text/keywords.js';
import { getTokenizer } from '../src/models/tokenizer.js';
import type { Block, ExtractedDocument } from '../src/types.js';
import { ConfigError } from '../src/errors.js';

const tok = getTokenizer('cl100k_base');

function doc(blocks: Block[], title = 'Guide'): ExtractedDocument {
  return { url: 'https://docs.test/guide/', title, contentType: 'text/html', fetchedAt: new Date(), blocks, contentHash: 'x' };
}
const h = (text: string, level: number, path: string[]): Block => ({ kind: 'heading', text, level, headingPath: path });
const p = (text: string, path: string[]): Block => ({ kind: 'paragraph', text, headingPath: path });

const sentence = (i: number) => `Sentence number ${i} explains how the scheduler retries a failed job with exponential backoff.`;
const longParagraph = (n: number) => Array.from({ length: n }, (_, i) => sentence(i)).join(' ');

describe('chunk', () => {
  test('the chunk stage gives each chunk the keyword vector of its title, headings and text', async () => {
    async function* one() {
      yield doc([h('Retries', 1, ['Retries']), p(longParagraph(40), ['Retries'])]);
    }
    const out = [];
    for await (const d of chunk(one(), { maxTokens: 120 })) out.push(d);
    const chunks = out[0]!.chunks;
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.keywords).toEqual(chunkKeywords('Guide', c.headingPath, c.text));
    expect(chunks[0]!.keywords!.find((e) => e.lexeme === 'retri')).toBeDefined();
  });

  test('every chunk fits the token limit, counting the title and heading line', () => {
    const blocks = [h('Retries', 1, ['Retries']), p(longParagraph(200), ['Retries'])];
    const chunks = chunkDocument(doc(blocks), { maxTokens: 120 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) {
      expect(c.tokenCount).toBeLessThanOrEqual(120);
      expect(c.tokenCount).toBe(tok.count(c.embeddingInput));
      expect(c.embeddingInput.startsWith('Guide\nRetries\n\n')).toBe(true);
    }
  });

  test('splits at headings first: no chunk mixes two sections', () => {
    const blocks = [
      h('Install', 1, ['Install']),
      p('Run npm install tidewater.', ['Install']),
      h('Configure', 2, ['Install', 'Configure']),
      p('Set the queue name.', ['Install', 'Configure']),
    ];
    const chunks = chunkDocument(doc(blocks), { maxTokens: 500 });
    expect(chunks.map((c) => [c.headingPath, c.text])).toEqual([
      [['Install'], 'Run npm install tidewater.'],
      [['Install', 'Configure'], 'Set the queue name.'],
    ]);
  });

  test('packs whole paragraphs before cutting sentences, and never cuts a word', () => {
    const paragraphs = Array.from({ length: 6 }, (_, i) => p(`Paragraph ${i}. ${longParagraph(3)}`, []));
    const chunks = chunkDocument(doc(paragraphs), { maxTokens: 150 });
    const words = new Set(paragraphs.flatMap((b) => b.text.split(/\s+/)));
    for (const c of chunks) {
      for (const w of c.text.split(/\s+/)) expect(words.has(w)).toBe(true);
      expect(c.text.startsWith('Paragraph ')).toBe(true);
    }
    expect(chunks.map((c) => c.text).join('\n\n')).toBe(paragraphs.map((b) => b.text).join('\n\n'));
  });

  test('code blocks are cut between lines and keep their indentation', () => {
    const code = Array.from({ length: 120 }, (_, i) => `    if job.attempts > ${i}:\n        retry(job, delay=${i})`).join('\n');
    const chunks = chunkDocument(doc([{ kind: 'code', text: code, headingPath: [] }]), { maxTokens: 100 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) for (const line of c.text.split('\n')) expect(line).toMatch(/^ {4}(if job\.attempts > \d+:| {4}retry\(job, delay=\d+\))$/);
    expect(chunks.map((c) => c.text).join('\n')).toBe(code);
  });

  test('a single word longer than a chunk is cut by tokens, and still fits', () => {
    const blob = 'x'.repeat(5000);
    const chunks = chunkDocument(doc([p(blob, [])]), { maxTokens: 64 });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.tokenCount).toBeLessThanOrEqual(64);
    expect(chunks.map((c) => c.text).join('')).toBe(blob);
  });

  test('overlap repeats the tail of the previous chunk within a section', () => {
    const blocks = [p(longParagraph(30), ['Retries'])];
    const plain = chunkDocument(doc(blocks), { maxTokens: 120 });
    const overlapped = chunkDocument(doc(blocks), { maxTokens: 120, overlapTokens: 30 });
    expect(overlapped.length).toBeGreaterThanOrEqual(plain.length);
    for (let i = 1; i < overlapped.length; i++) {
      const prevLast = overlapped[i - 1]!.text.split(/(?<=\.)\s/).at(-1)!;
      expect(overlapped[i]!.text.startsWith(prevLast)).toBe(true);
      expect(overlapped[i]!.tokenCount).toBeLessThanOrEqual(120);
    }
  });

  test('the limit is lowered to the embedding model input limit', () => {
    const chunks = chunkDocument(doc([p(longParagraph(50), [])]), { maxTokens: 4000, maxInputTokens: 200 });
    for (const c of chunks) expect(c.tokenCount).toBeLessThanOrEqual(200);
  });

  test('special-token text such as <|endoftext|> is counted as ordinary text', () => {
    const chunks = chunkDocument(doc([p('The end marker <|endoftext|> appears in prompts.', [])]));
    expect(chunks[0]!.text).toContain('<|endoftext|>');
  });

  test('equal text gives equal hashes; ordinals count from 0; empty documents give no chunks', () => {
    const a = chunkDocument(doc([p('Same text.', [])]));
    const b = chunkDocument(doc([p('Same text.', [])]));
    expect(a[0]!.textHash).toBe(b[0]!.textHash);
    expect(a[0]!.ordinal).toBe(0);
    expect(chunkDocument(doc([]))).toEqual([]);
    expect(chunkDocument(doc([h('Only a heading', 1, ['Only a heading'])]))).toEqual([]);
  });

  test('invalid sizes fail fast with the value in the message', () => {
    expect(() => chunkDocument(doc([]), { maxTokens: 0 })).toThrow(ConfigError);
    expect(() => chunkDocument(doc([]), { maxTokens: 0 })).toThrow('got `0` (number)');
    expect(() => chunkDocument(doc([]), { maxTokens: 100, overlapTokens: 80 })).toThrow(/overlapTokens/);
  });

  test('the fingerprint changes with the settings that change chunks', () => {
    expect(chunkingFingerprint({ maxTokens: 500 })).not.toBe(chunkingFingerprint({ maxTokens: 400 }));
    expect(chunkingFingerprint({})).toBe(chunkingFingerprint({ maxTokens: 500, overlapTokens: 0, encoding: 'cl100k_base' }));
  });
});
