/**
 * Retrieval users can tune: noise pages ranked last, a per-page cap, metadata filters beyond
 * containment (compiled to SQL and run on both stores), the LLM reranker's reading of a reply,
 * and the question file and page matching of `ragline eval`.
 */
import { createHash } from 'node:crypto';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { ensureCollection } from '../src/store/collections.js';
import { replaceDocuments } from '../src/store/documents.js';
import { searchChunks } from '../src/retrieval/search-chunks.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import type { EmbeddedDocument } from '../src/types.js';
import { ConfigError, InputError } from '../src/errors.js';
import { demoteNoise, noiseReason } from '../src/retrieval/noise.js';
import { capPerPage } from '../src/retrieval/diversity.js';
import { parseCondition } from '../src/retrieval/metadata-conditions.js';
import { parseRanking } from '../src/models/rerank/llm-reranker.js';
import { parseEvalQuestions, samePage } from '../src/core/eval-questions.js';
import { ndcgAt10 } from '../src/core/evaluate.js';
import type { StoredChunk } from '../src/store/chunk-rows.js';
import { retrievalOptions } from '../src/server/api-routes.js';

const chunk = (url: string, text = 'Retries back off exponentially.', title = 'Retries'): StoredChunk => ({ chunkId: Math.floor(Math.random() * 1e9), url, title, headingPath: [], ordinal: 0, text, tokenCount: 5, metadata: {} });

describe('noise pages', () => {
  test.each([
    ['https://d.test/genindex.html', 'Index — lmfit 1.3 documentation', 'generated-index'],
    ['https://d.test/py-modindex.html', 'Python Module Index — lmfit', 'generated-index'],
    ['https://d.test/search.html', 'Search — lmfit', 'search-page'],
    ['https://d.test/search/', 'Search', 'search-page'],
    ['https://d.test/404.html', 'Page not found', 'not-found-page'],
  ])('%s is noise (%s)', (url, title, reason) => {
    expect(noiseReason(chunk(url, 'Some text.', title))).toBe(reason);
  });

  test('content pages are not noise, even when named like an index of a topic', () => {
    expect(noiseReason(chunk('https://d.test/guide/retries/', 'A job that fails is retried five times by default.', 'Retries'))).toBeUndefined();
    expect(noiseReason(chunk('https://d.test/api-guide/indexing/', 'How to index your data.', 'Indexing data'))).toBeUndefined();
  });

  test('a passage that is mostly a list of short links is noise; a list of explanations is not', () => {
    const links = Array.from({ length: 12 }, (_, i) => `- fit_report() (in module lmfit.printfuncs${i})`).join('\n');
    expect(noiseReason(chunk('https://d.test/contents.html', links, 'Contents'))).toBe('link-list');
    const prose = Array.from({ length: 12 }, (_, i) => `- Step ${i}: the worker claims a job, runs it, and records the outcome in the jobs table.`).join('\n');
    expect(noiseReason(chunk('https://d.test/guide/', prose, 'Guide'))).toBeUndefined();
  });

  test('noise moves below every content passage, marked with its reason, and nothing is dropped', () => {
    const results = [chunk('https://d.test/genindex.html', 'x', 'Index'), chunk('https://d.test/a/'), chunk('https://d.test/search.html', 'x', 'Search'), chunk('https://d.test/b/')];
    const ranked = demoteNoise(results);
    expect(ranked.map((r) => r.url)).toEqual(['https://d.test/a/', 'https://d.test/b/', 'https://d.test/genindex.html', 'https://d.test/search.html']);
    expect(ranked.map((r) => r.noise)).toEqual([undefined, undefined, 'generated-index', 'search-page']);
  });
});

describe('per-page cap', () => {
  const r = (url: string, n: number) => ({ url, n });
  test('the top k spans several pages', () => {
    const results = [r('a', 1), r('a', 2), r('a', 3), r('b', 4), r('a', 5), r('c', 6), r('d', 7)];
    expect(capPerPage(results, 3, 1).map((x) => x.n)).toEqual([1, 4, 6]);
    expect(capPerPage(results, 4, 2).map((x) => x.n)).toEqual([1, 2, 4, 6]);
    expect(capPerPage(results, 3, 0).map((x) => x.n)).toEqual([1, 2, 3]);
  });
  test('when one page is all that matches, its passages fill the k', () => {
    expect(capPerPage([r('a', 1), r('a', 2), r('b', 3), r('a', 4)], 4, 1).map((x) => x.n)).toEqual([1, 2, 3, 4]);
  });
});

describe('filter expressions', () => {
  test.each([
    ['version=3', { key: 'version', op: '=', value: 3 }],
    ['version=3.10', { key: 'version', op: '=', value: '3.10' }],
    ['product!=api', { key: 'product', op: '!=', value: 'api' }],
    ['product in api,cli', { key: 'product', op: 'in', values: ['api', 'cli'] }],
    ['n>=3', { key: 'n', op: '>=', value: 3 }],
    ['published<2024-01-01', { key: 'published', op: '<', value: '2024-01-01' }],
  ])('%s', (expression, condition) => {
    expect(parseCondition(expression)).toEqual(condition);
  });
  test.each(['version', '>=3', 'n>=soon', 'tag in '])('%s is one clear ConfigError', (expression) => {
    expect(() => parseCondition(expression)).toThrow(ConfigError);
    expect(() => parseCondition(expression)).toThrow(/Write key=value, key!=value, "key in a,b", key>=3 or key<2024-01-01/);
  });
});

describeEachDatabase('filters in SQL', (backend) => {
  const model = createLexicalEmbedding({ dimensions: 32 });
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  let db: Database & { drop(): Promise<void> };
  const docs: EmbeddedDocument[] = [
    { product: 'api', n: 1, published: '2023-06-01' },
    { product: 'cli', n: 2, published: '2023-12-31' },
    { product: 'web', n: 3, published: '2024-02-01' },
    { product: 'api', n: 'four', published: '2024-05-01' },
  ].map((metadata, i) => {
    const url = `https://docs.test/p${i}`;
    const text = `retry settings page ${i}`;
    return {
      document: { url, title: `Page ${i}`, contentType: 'text/html', fetchedAt: new Date(), blocks: [], contentHash: sha(url) },
      chunks: [{ url, title: `Page ${i}`, ordinal: 0, text, headingPath: [], embeddingInput: text, tokenCount: 4, textHash: sha(text), metadata, embedding: Float32Array.from({ length: 32 }, (_, d) => ((d + i) % 5) / 5 + 0.1) }],
      cachedChunks: 0,
      embeddedTokens: 0,
    };
  });
  beforeAll(async () => {
    db = await freshDatabase(backend);
    const c = await ensureCollection(db.pool, 'f', model);
    await replaceDocuments(db.pool, c, docs, 'x');
  });
  afterAll(async () => {
    await db?.drop();
  });

  const pagesFor = async (where: string[], mode: 'vector' | 'keyword' = 'vector') => {
    const collection = await ensureCollection(db.pool, 'f', model);
    const results = await searchChunks(db.pool, collection, { text: 'retry settings', vector: (await model.embed({ inputs: ['retry settings'] })).embeddings[0]! }, { k: 10, mode, where });
    return results.map((r) => r.url.slice(-2)).sort();
  };

  test.each([
    [['product!=api'], ['p1', 'p2']],
    [['product in api,web'], ['p0', 'p2', 'p3']],
    [['n>=2'], ['p1', 'p2']],
    [['n<2'], ['p0']],
    [['published<2024-01-01'], ['p0', 'p1']],
    [['published>=2024-01-01', 'product=api'], ['p3']],
  ])('%j keeps %j (vector and keyword retrievers alike; a non-number never passes a numeric range)', async (where, expected) => {
    expect(await pagesFor(where)).toEqual(expected);
    expect(await pagesFor(where, 'keyword')).toEqual(expected);
  });
});

describe('LLM reranker replies', () => {
  test('numbers in the reply order the passages; unknown and repeated ones are ignored; the rest follow in retrieved order', () => {
    expect(parseRanking('3, 1, 3, 9', 4)).toEqual([2, 0, 1, 3]);
    expect(parseRanking('[2] then [4]', 4)).toEqual([1, 3, 0, 2]);
  });
});

describe('eval questions and page matching', () => {
  test('index.html and a trailing slash are one page; fragments and queries do not matter; relative paths match the end of the path', () => {
    expect(samePage('https://d.test/guide/retries/index.html', 'https://d.test/guide/retries/')).toBe(true);
    expect(samePage('https://d.test/guide/retries/', 'https://d.test/guide/retries')).toBe(true);
    expect(samePage('https://d.test/manual.pdf#page=3', 'https://d.test/manual.pdf')).toBe(true);
    expect(samePage('https://d.test/fitting.html', 'fitting.html')).toBe(true);
    expect(samePage('https://d.test/', '')).toBe(true);
    expect(samePage('https://d.test/guide/retries/', 'guide/concurrency/')).toBe(false);
    expect(samePage('https://other.test/guide/retries/', 'https://d.test/guide/retries/')).toBe(false);
  });

  test('nDCG@10 credits each expected page once, by its rank', () => {
    expect(ndcgAt10(['https://d.test/a', 'https://d.test/b'], ['https://d.test/a'])).toBe(1);
    expect(ndcgAt10(['https://d.test/x', 'https://d.test/a'], ['https://d.test/a'])).toBeCloseTo(1 / Math.log2(3));
    expect(ndcgAt10(['https://d.test/x'], ['https://d.test/a'])).toBe(0);
  });

  test('a bad line is an InputError naming the line; blank and # lines are skipped', () => {
    expect(parseEvalQuestions('# comment\n\n{"question":"q","urls":[]}\n', 'q.jsonl')).toEqual([{ question: 'q', urls: [], line: 3 }]);
    expect(() => parseEvalQuestions('{"question":"q","urls":[]}\n{"question":"","urls":[]}', 'q.jsonl')).toThrow(InputError);
    expect(() => parseEvalQuestions('{"question":"q","urls":"x"}', 'q.jsonl')).toThrow(/^q\.jsonl line 1: "urls" is missing/);
    expect(() => parseEvalQuestions('\n\n', 'q.jsonl')).toThrow(/has no questions/);
  });
});

describe('the API\'s retrieval fields', () => {
  test('where, maxPerPage and keepNoisePages are read from a request body', () => {
    expect(retrievalOptions({ where: ['year>=2024', 'product in api,cli'], maxPerPage: 0, keepNoisePages: true })).toEqual({
      where: [{ key: 'year', op: '>=', value: 2024 }, { key: 'product', op: 'in', values: ['api', 'cli'] }],
      maxPerPage: 0,
      keepNoisePages: true,
    });
  });
  test('a bad filter expression is a 400 naming it', () => {
    expect(() => retrievalOptions({ where: ['year>=soon'] })).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/^`where`: Filter `year>=soon` \(string\) compares with `soon`/) }));
    expect(() => retrievalOptions({ where: 'year>=2024' })).toThrow(/`where` must be an array of filter expressions/);
    expect(() => retrievalOptions({ maxPerPage: -1 })).toThrow(/`maxPerPage` must be an integer from 0/);
  });
});
