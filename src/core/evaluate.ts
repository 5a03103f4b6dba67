/**
 * Evaluate retrieval (and, optionally, answers) of a collection on questions with known answering
 * pages: hit@1, hit@5, MRR and nDCG@10 over pages; with a chat model, how often an answer cites an
 * expected page and how often it says "I don't know" on unanswerable and answerable questions;
 * latency and cost.
 */
import type { Database } from '../store/database.js';
import type { ChatModel } from '../models/spec.js';
import type { OpenAIConnectionOptions } from '../models/openai/client.js';
import { embeddingCost, chatCost } from '../models/cost.js';
import { getTokenizer } from '../models/tokenizer.js';
import { requireCollection } from '../store/collections.js';
import { DEFAULT_COLLECTION, EVAL_DEFAULTS, SEARCH_DEFAULTS } from '../options/defaults.js';
import { checkInteger } from '../options/check.js';
import type { SearchOptions } from '../retrieval/types.js';
import { search, queryEmbeddingModel, type EmbeddingChoice } from './search.js';
import { ask } from './ask.js';
import { pageKey, samePage, type EvalQuestion } from './eval-questions.js';
import { summarize, type EvalSummary } from './eval-metrics.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  db: Database;
  /** @default 'default' */
  collection?: string;
  questions: readonly EvalQuestion[];
  /**
   * Passages retrieved per question; the metrics rank the distinct pages among them.
   * @default 10
   */
  k?: number;
  /** Retrieval settings (mode, filter, reranker, maxPerPage, ...), for search and ask alike. */
  search?: Omit<SearchOptions, 'k'>;
  /** Also answer every question with this chat model and score the answers. */
  chat?: ChatModel;
  embedding?: EmbeddingChoice;
  connection?: OpenAIConnectionOptions;
  /** Called after each question. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** How one question fared. */
export interface QuestionResult {
  line: number;
  question: string;
  expected: string[];
  /** Distinct pages retrieved, best first. */
  pages: string[];
  /** 1-based rank of the first expected page among `pages`; absent when none was found or none is expected. */
  rank?: number;
  /** nDCG@10 of `pages` (each expected page relevant once); absent for unanswerable questions. */
  ndcg10?: number;
  /** Search time, ms. */
  latencyMs: number;
  answer?: string;
  /** Pages the answer cites. */
  cited?: string[];
  dontKnow?: boolean;
  /** Answer time (retrieval included), ms. */
  answerLatencyMs?: number;
}

/** A whole evaluation: the results of each question and their summary. */
export interface EvalReport {
  collection: string;
  /** The settings evaluated, in words (`hybrid, k 10, rerank none`). */
  settings: string;
  summary: EvalSummary;
  results: QuestionResult[];
}

/** nDCG@10 with binary relevance: each expected page counts once, at its first rank. */
export function ndcgAt10(pages: readonly string[], expected: readonly string[]): number {
  const found = new Set<string>();
  let dcg = 0;
  pages.slice(0, 10).forEach((p, i) => {
    const e = expected.find((x) => !found.has(x) && samePage(p, x));
    if (e === undefined) return;
    found.add(e);
    dcg += 1 / Math.log2(i + 2);
  });
  let ideal = 0;
  for (let i = 0; i < Math.min(expected.length, 10); i++) ideal += 1 / Math.log2(i + 2);
  return ideal === 0 ? 0 : dcg / ideal;
}

/** Distinct pages of results, in order (a page's fragments and `index.html` spelled one way). */
export function distinctPages(urls: readonly string[]): string[] {
  const seen = new Set<string>();
  return urls.filter((u) => {
    const key = pageKey(u);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function describeSettings(k: number, options: Omit<SearchOptions, 'k'>, chat?: ChatModel): string {
  const parts = [options.mode ?? SEARCH_DEFAULTS.mode, `k ${k}`];
  if (options.reranker) parts.push(`rerank ${options.reranker.provider}/${options.reranker.modelId}`);
  if (options.maxPerPage !== undefined) parts.push(`max ${options.maxPerPage} per page`);
  if (options.keepNoisePages) parts.push('noise pages kept');
  if (options.filter) parts.push(`filter ${JSON.stringify(options.filter)}`);
  if (chat) parts.push(`answers ${chat.provider}/${chat.modelId}`);
  return parts.join(', ');
}

/** Run every question through search (and ask, with `chat`) and score the results. */
export async function evaluate(options: EvaluateOptions): Promise<EvalReport> {
  const { db, questions, chat, signal } = options;
  const name = options.collection ?? DEFAULT_COLLECTION;
  const k = checkInteger('k', options.k ?? EVAL_DEFAULTS.k, { min: 1, max: 1000 });
  const searchOptions = options.search ?? {};
  const collection = await requireCollection(db.pool, name);
  const model = queryEmbeddingModel(collection, options.embedding, options.connection);
  const tokenizer = getTokenizer(model.encoding);
  const shared = { db, collection: name, embedding: model, ...(options.connection ? { connection: options.connection } : {}), ...(signal ? { signal } : {}) };
  const results: QuestionResult[] = [];
  let embedTokens = 0;
  let chatUsd: number | null = 0;
  for (const q of questions) {
    signal?.throwIfAborted();
    const started = performance.now();
    const found = await search({ ...shared, ...searchOptions, query: q.question, k });
    const latencyMs = performance.now() - started;
    embedTokens += tokenizer.count(q.question);
    const pages = distinctPages(found.map((r) => r.url));
    const index = pages.findIndex((p) => q.urls.some((e) => samePage(p, e)));
    const result: QuestionResult = { line: q.line, question: q.question, expected: q.urls, pages, latencyMs, ...(index >= 0 ? { rank: index + 1 } : {}) };
    if (q.urls.length > 0) result.ndcg10 = ndcgAt10(pages, q.urls);
    if (chat) {
      const t = performance.now();
      const answer = await ask({ ...shared, question: q.question, chat, search: searchOptions });
      result.answerLatencyMs = performance.now() - t;
      result.answer = answer.answer;
      result.cited = distinctPages(answer.sources.filter((s) => s.cited).map((s) => s.url));
      result.dontKnow = /^\s*i don['’]?t know\b/i.test(answer.answer);
      embedTokens += tokenizer.count(q.question);
      const usd = answer.usage ? chatCost(chat.modelId, answer.usage) : 0;
      chatUsd = usd === undefined || chatUsd === null ? null : chatUsd + usd;
    }
    results.push(result);
    options.onProgress?.(results.length, questions.length);
  }
  const embedUsd = model.provider === 'local' ? 0 : embeddingCost(model.modelId, embedTokens);
  const chatPriced = !chat || chat.provider === 'local' ? 0 : chatUsd;
  const costUsd = embedUsd === undefined || chatPriced === null ? null : embedUsd + chatPriced;
  return { collection: name, settings: describeSettings(k, searchOptions, chat), summary: summarize(results, costUsd), results };
}
