/**
 * The library core as a user's program drives it: its own models passed in or registered by name,
 * text it already has ingested, retrieval with a reranker — on both stores.
 */
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import { quotingChat, wordHashEmbedding, wordReranker } from './support/custom-models.js';
import { ask, askStream, ingestDocuments, registerProvider, search, ConfigError, ModelError, type Database, type TextDocument } from '../src/index.js';
import { standaloneQuestion } from '../src/server/conversation.js';

const docs: TextDocument[] = [
  { url: 'https://kb.example/billing', title: 'Billing', text: 'Invoices are sent on the first day of each month. Refunds take five business days.', metadata: { team: 'finance', year: 2024 } },
  { url: 'https://kb.example/vpn', title: 'VPN', text: 'Connect to the VPN with the corporate client before opening the intranet.', metadata: { team: 'it', year: 2025 } },
  { url: 'https://kb.example/laptops', title: 'Laptops', text: 'Laptops are replaced every three years. Broken laptops go to the IT desk.', metadata: { team: 'it', year: 2023 } },
  { url: 'urn:kb:holidays', text: '# Holidays\n\nEmployees get twenty-five days of paid holiday per year.' },
];

describeEachDatabase('library core', (backend) => {
  let db: Database & { drop(): Promise<void> };
  const embedding = wordHashEmbedding();

  beforeAll(async () => {
    db = await freshDatabase(backend);
    const summary = await ingestDocuments({ db, collection: 'kb', embedding, documents: docs });
    expect(summary).toMatchObject({ documents: 4, new: 4, changed: 0, unchanged: 0, empty: 0 });
  });
  afterAll(() => db?.drop());

  test('a collection built with a user-defined embedding model is searched with that model passed in', async () => {
    const before = embedding.calls.length;
    const results = await search({ db, collection: 'kb', query: 'how long do refunds take', embedding, k: 2 });
    expect(results[0]).toMatchObject({ url: 'https://kb.example/billing', title: 'Billing' });
    expect(embedding.calls.length).toBe(before + 1);
  });

  test('ask answers from the sources with the user-defined chat model, grounded in the retrieved sources', async () => {
    const chat = quotingChat();
    const result = await ask({ db, collection: 'kb', question: 'when are laptops replaced', chat, embedding, k: 2 });
    expect(result.sources[0]).toMatchObject({ url: 'https://kb.example/laptops', cited: true });
    expect(result.answer).toContain('[1]');
    expect(chat.calls[0]!.grounding).toEqual({ question: 'when are laptops replaced', sources: expect.arrayContaining([expect.objectContaining({ number: 1 })]) });
  });

  test('without the model, search names the unregistered provider and both ways to fix it', async () => {
    const err = await search({ db, collection: 'kb', query: 'refunds' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/Collection "kb" was built with mine\/word-hash, and no provider "mine" is registered: pass that embedding model .* or register its provider/);
  });

  test('a registered provider rebuilds the model from the name the collection stored', async () => {
    const own = wordHashEmbedding({ provider: 'registered-mine' });
    registerProvider('registered-mine', { embedding: () => wordHashEmbedding({ provider: 'registered-mine' }) });
    await ingestDocuments({ db, collection: 'kb-registered', embedding: own, documents: docs });
    const results = await search({ db, collection: 'kb-registered', query: 'VPN intranet client', k: 1 });
    expect(results[0]!.url).toBe('https://kb.example/vpn');
  });

  test('a model other than the one the collection was built with is refused before any call', async () => {
    const other = wordHashEmbedding({ dimensions: 32 });
    const err = await search({ db, collection: 'kb', query: 'refunds', embedding: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/holds mine\/word-hash vectors \(64 d\), not mine\/word-hash \(32 d\)/);
    expect(other.calls).toHaveLength(0);
  });

  test('a function picks the embedding model per collection', async () => {
    const picked: string[] = [];
    const results = await search({ db, collection: 'kb', query: 'paid holiday', k: 1, embedding: (c) => (picked.push(c.name), embedding) });
    expect(picked).toEqual(['kb']);
    expect(results[0]!.url).toBe('urn:kb:holidays');
  });

  test('a reranker reorders the fused candidates, in calls within its batch limit, and its scores become the scores', async () => {
    const reranker = wordReranker('vpn');
    const results = await search({ db, collection: 'kb', query: 'laptops invoices holidays vpn', embedding, k: 2, reranker });
    expect(results[0]!.url).toBe('https://kb.example/vpn');
    expect(results[0]!.relevanceScore).toBeGreaterThan(1);
    expect(results[0]!.score).toBe(results[0]!.relevanceScore);
    expect(results).toHaveLength(2);
    expect(reranker.calls.every((c) => c.documents.length <= 4)).toBe(true);
    expect(reranker.calls.flatMap((c) => c.documents).length).toBe(4);
  });

  test('a reranker that returns an index out of range fails the search with a ModelError, never a silent drop', async () => {
    const broken = { ...wordReranker('vpn'), rerank: async () => ({ results: [{ index: 99, relevanceScore: 1 }] }) };
    await expect(search({ db, collection: 'kb', query: 'vpn', embedding, reranker: broken })).rejects.toThrow(ModelError);
  });

  test('metadata given per document is stored with its chunks and filters searches', async () => {
    const results = await search({ db, collection: 'kb', query: 'laptops vpn invoices', embedding, k: 5, filter: { team: 'it' } });
    expect(results.map((r) => r.url).sort()).toEqual(['https://kb.example/laptops', 'https://kb.example/vpn']);
    expect(results.every((r) => r.metadata.team === 'it')).toBe(true);
  });

  test('re-ingesting the same documents embeds nothing; new metadata rewrites chunks from cached vectors', async () => {
    const again = await ingestDocuments({ db, collection: 'kb', embedding, documents: docs });
    expect(again).toMatchObject({ unchanged: 4, new: 0, changed: 0, embeddedTokens: 0 });
    const retagged = docs.map((d) => (d.url === 'https://kb.example/vpn' ? { ...d, metadata: { team: 'security' } } : d));
    const changed = await ingestDocuments({ db, collection: 'kb', embedding, documents: retagged });
    expect(changed).toMatchObject({ unchanged: 3, changed: 1, embeddedTokens: 0 });
    const results = await search({ db, collection: 'kb', query: 'vpn', embedding, filter: { team: 'security' } });
    expect(results.map((r) => r.url)).toEqual(['https://kb.example/vpn']);
  });

  test('a document without an absolute URL is refused with the field named, and nothing stored is lost', async () => {
    const err = await ingestDocuments({ db, collection: 'kb', embedding, documents: [{ url: 'relative/page', text: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/`documents\[0\]\.url` to be an absolute URL/);
    const results = await search({ db, collection: 'kb', query: 'refunds', embedding });
    expect(results[0]!.url).toBe('https://kb.example/billing');
  });

  test('askStream gives the sources before the first text', async () => {
    const events: string[] = [];
    for await (const e of askStream({ db, collection: 'kb', question: 'refunds', chat: quotingChat(), embedding })) events.push(e.type);
    expect(events).toEqual(['sources', 'text', 'done']);
  });
});

describe('chat capabilities', () => {
  test('a model that cannot write gets the lexical follow-up, whatever its provider is called', async () => {
    const chat = quotingChat({ provider: 'openai', capabilities: { generatesText: false } });
    const question = await standaloneQuestion(chat, [{ role: 'user', content: 'How are refunds paid?' }], 'And how long?');
    expect(question).toBe('How are refunds paid? And how long?');
    expect(chat.calls).toHaveLength(0);
  });

  test('a model that writes is asked to rewrite the follow-up', async () => {
    const chat = quotingChat({ provider: 'local' });
    await standaloneQuestion(chat, [{ role: 'user', content: 'How are refunds paid?' }], 'And how long?');
    expect(chat.calls).toHaveLength(1);
  });
});
