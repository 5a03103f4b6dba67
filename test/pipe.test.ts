import { describe, expect, it } from '@jest/globals';
import { collect, drain, pipe, type Stage } from '../src/iter/pipe.js';
import { extract } from '../src/stages/extract.js';
import { chunk } from '../src/stages/chunk.js';
import type { SourceDocument } from '../src/types.js';

const double: Stage<number, number> = async function* (source) {
  for await (const n of source) yield n * 2;
};

const label: Stage<number, string> = async function* (source) {
  for await (const n of source) yield `#${n}`;
};

describe('pipe', () => {
  it('should take an array as its source', async () => {
    expect(await collect(pipe([1, 2, 3], double, label))).toEqual(['#2', '#4', '#6']);
  });

  it('should take an array without stages and yield it as an async iterable', async () => {
    const out = pipe(['a', 'b']);
    expect(typeof out[Symbol.asyncIterator]).toBe('function');
    expect(await collect(out)).toEqual(['a', 'b']);
  });

  it('should take a Set, a Map and a sync generator', async () => {
    expect(await collect(pipe(new Set([1, 1, 2]), double))).toEqual([2, 4]);
    expect(await collect(pipe(new Map([['k', 1]]).values(), label))).toEqual(['#1']);
    function* numbers() {
      yield 5;
      yield 6;
    }
    expect(await collect(pipe(numbers(), double))).toEqual([10, 12]);
  });

  it('should still take an async iterable as its source', async () => {
    async function* numbers() {
      yield 1;
      yield 2;
    }
    expect(await collect(pipe(numbers(), double))).toEqual([2, 4]);
  });

  it('should read a sync source only as items are pulled, and close it when the consumer stops', async () => {
    const pulled: number[] = [];
    let closed = false;
    function* numbers() {
      try {
        for (let n = 1; n <= 100; n++) {
          pulled.push(n);
          yield n;
        }
      } finally {
        closed = true;
      }
    }
    for await (const n of pipe(numbers(), double)) if (n >= 4) break;
    expect(pulled).toEqual([1, 2]);
    expect(closed).toBe(true);
  });

  it('should run the real stages over an array of documents', async () => {
    const doc: SourceDocument = {
      url: 'file:///notes/pipes.md',
      contentType: 'text/markdown',
      body: '# Pipes\n\nA pipe composes stages left to right.\n\n## Sources\n\nArrays work as sources too.\n',
      fetchedAt: new Date(),
    };
    const [chunked] = await collect(pipe([doc], extract, (docs) => chunk(docs, { maxTokens: 50 })));
    expect(chunked?.document.title).toBe('Pipes');
    expect(chunked?.chunks.map((c) => c.text).join(' ')).toContain('Arrays work as sources too.');
  });

  it('should drain and collect sync iterables', async () => {
    expect(await drain([1, 2, 3])).toBe(3);
    expect(await collect(new Set(['x']))).toEqual(['x']);
  });
});
