import { ConfigError } from '../errors.js';
import { checkInteger } from '../options/check.js';
import type { ChatGrounding, ChatMessage, ChatModel } from '../models/spec.js';
import { getTokenizer } from '../models/tokenizer.js';
import type { SearchResult } from '../retrieval/types.js';
import { ANSWER_SYSTEM_PROMPT, answerGrounding, buildAnswerMessages, type PromptSource } from './prompt.js';

/** Options of {@link packContext}. */
export interface PackOptions {
  /**
   * Tokens kept free for the answer (sent as the request's output limit).
   * @default min(1024, the model's output limit)
   */
  reserveOutputTokens?: number;
  /**
   * An upper bound on context tokens below the window, to bound cost.
   * @default no bound beyond the window
   */
  maxContextTokens?: number;
  /** @default ANSWER_SYSTEM_PROMPT */
  systemPrompt?: string;
}

/** A source as returned to users, with the passages the model saw. */
export interface AnswerSource extends PromptSource {
  headingPaths: string[][];
  /** Fused retrieval score of the source's best passage. */
  score: number;
  /** Whether the answer cites this source as `[n]` (set once the answer is complete). */
  cited?: boolean;
}

/** Mark the sources an answer cites with `[n]` (also `[1][2]` and `[1, 2]`). */
export function markCited(answer: string, sources: readonly AnswerSource[]): AnswerSource[] {
  const cited = new Set<number>();
  for (const m of answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) for (const n of m[1]!.split(',')) cited.add(Number(n.trim()));
  return sources.map((s) => ({ ...s, cited: cited.has(s.number) }));
}

/** The packed prompt. */
export interface PackedContext {
  messages: ChatMessage[];
  /** The question and numbered sources of `messages`, as data for the request's `grounding`. */
  grounding: ChatGrounding;
  sources: AnswerSource[];
  /** Prompt tokens in the chat model's encoding. */
  promptTokens: number;
  /** Output limit to request: what is left of the window, up to the reserve. */
  maxOutputTokens: number;
  /** Retrieved chunks that did not fit. */
  droppedChunks: number;
}

// Chat formats add a few tokens per message (role, separators) and a few to prime the reply.
const PER_MESSAGE = 4;
const REPLY_PRIMING = 3;

function countMessages(messages: readonly ChatMessage[], count: (s: string) => number): number {
  return messages.reduce((n, m) => n + PER_MESSAGE + count(m.content), REPLY_PRIMING);
}

/**
 * Fit as many retrieved chunks as the chat model's window allows after the system prompt, the
 * question and the tokens reserved for the answer, counted with the model's own encoding. Chunks
 * are taken in retrieval order; passages of one page share one source number.
 */
export function packContext(results: readonly SearchResult[], question: string, model: ChatModel, options: PackOptions = {}): PackedContext {
  const reserve = checkInteger('reserveOutputTokens', options.reserveOutputTokens ?? Math.min(1024, model.maxOutputTokens), {
    min: 1,
    max: model.maxOutputTokens,
    why: `${model.modelId}'s output limit`,
  });
  const tok = getTokenizer(model.encoding);
  const count = (s: string) => tok.count(s);
  const system = options.systemPrompt ?? ANSWER_SYSTEM_PROMPT;
  const build = (sources: PromptSource[]) => {
    const messages = buildAnswerMessages(sources, question);
    messages[0] = { role: 'system', content: system };
    return messages;
  };
  const window = model.contextWindow - reserve;
  const base = countMessages(build([]), count);
  if (base > window) {
    throw new ConfigError('question', question.length, `The question alone needs ${base} tokens, more than ${model.modelId}'s window of ${model.contextWindow} minus ${reserve} for the answer: shorten it.`);
  }
  const limit = Math.min(window, options.maxContextTokens === undefined ? Infinity : base + options.maxContextTokens);

  const sources: AnswerSource[] = [];
  let used = base;
  let dropped = 0;
  for (const r of results) {
    let source = sources.find((s) => s.url === r.url);
    // Estimated cost of this passage: its text plus, for a new source, the tag lines.
    const cost = count(r.text) + 2 + (source ? 0 : count(`<source id="${sources.length + 1}" url="${r.url}" title="${r.title}">\n</source>\n\n`));
    if (used + cost > limit) {
      dropped++;
      continue;
    }
    if (!source) {
      source = { number: sources.length + 1, url: r.url, title: r.title, passages: [], headingPaths: [], score: r.score };
      sources.push(source);
    }
    source.passages.push(r.text);
    source.headingPaths.push(r.headingPath);
    used += cost;
  }
  // Estimates are close, not exact: make the real prompt fit by dropping the last passages.
  let messages = build(sources);
  let promptTokens = countMessages(messages, count);
  while (promptTokens > limit && sources.length > 0) {
    const last = sources.at(-1)!;
    last.passages.pop();
    last.headingPaths.pop();
    if (last.passages.length === 0) sources.pop();
    dropped++;
    messages = build(sources);
    promptTokens = countMessages(messages, count);
  }
  return { messages, grounding: answerGrounding(sources, question), sources, promptTokens, maxOutputTokens: Math.min(reserve, model.contextWindow - promptTokens), droppedChunks: dropped };
}
