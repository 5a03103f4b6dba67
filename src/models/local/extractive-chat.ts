import type { ChatModel, ChatRequest, ChatStreamPart } from '../spec.js';
import { parseUserMessage } from '../../ask/prompt.js';
import { getTokenizer } from '../tokenizer.js';
import { terms } from './terms.js';

/** The model id of the offline extractive answerer. */
export const EXTRACTIVE_CHAT_ID = 'extractive-v1';

/** The reply when the sources do not support an answer. */
export const DONT_KNOW = "I don't know.";

interface Candidate {
  source: number;
  sentence: string;
  terms: Set<string>;
  order: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

function sentencesOf(text: string): string[] {
  const out: string[] = [];
  for (const para of text.split(/\n{2,}/)) {
    // Code and tables are line-oriented: a line is the quotable unit there.
    const lines = /\n/.test(para.trim()) && !/[.!?]\s/.test(para) ? para.split('\n') : [para.replace(/\s*\n\s*/g, ' ')];
    for (const line of lines) {
      for (const { segment } of segmenter.segment(line)) {
        const s = segment.trim();
        if (s.length >= 12 && s.length <= 600) out.push(s);
      }
    }
  }
  return out;
}

/**
 * Pick the sentences that best answer `question` from numbered sources, or nothing when no
 * sentence covers enough of the question. Terms are weighted by inverse document frequency over the
 * candidate sentences, so words every sentence shares count for little.
 */
export function extractAnswer(
  question: string,
  sources: ReadonlyArray<{ number: number; text: string }>,
  options: { maxSentences?: number; minCoverage?: number } = {},
): Array<{ source: number; sentence: string }> {
  const maxSentences = options.maxSentences ?? 3;
  const minCoverage = options.minCoverage ?? 0.5;
  const q = [...new Set(terms(question))];
  if (q.length === 0) return [];
  const candidates: Candidate[] = [];
  for (const src of sources) {
    for (const sentence of sentencesOf(src.text)) {
      candidates.push({ source: src.number, sentence, terms: new Set(terms(sentence)), order: candidates.length });
    }
  }
  if (candidates.length === 0) return [];
  const df = new Map<string, number>();
  for (const t of q) df.set(t, candidates.filter((c) => c.terms.has(t)).length);
  const idf = (t: string) => Math.log(1 + candidates.length / (1 + (df.get(t) ?? 0)));
  const total = q.reduce((sum, t) => sum + idf(t), 0);
  const score = (c: Candidate, covered: Set<string>) =>
    q.reduce((sum, t) => (c.terms.has(t) && !covered.has(t) ? sum + idf(t) : sum), 0);

  // Greedy cover: each pick adds the most question weight not yet covered, earlier sources first on ties.
  const picked: Candidate[] = [];
  const covered = new Set<string>();
  while (picked.length < maxSentences) {
    let best: Candidate | undefined;
    let bestScore = 0;
    for (const c of candidates) {
      if (picked.includes(c)) continue;
      const s = score(c, covered);
      if (s > bestScore) [best, bestScore] = [c, s];
    }
    if (!best || bestScore < total * 0.15) break;
    picked.push(best);
    for (const t of q) if (best.terms.has(t)) covered.add(t);
  }
  const coverage = q.reduce((sum, t) => (covered.has(t) ? sum + idf(t) : sum), 0) / total;
  if (coverage < minCoverage) return [];
  return picked.sort((a, b) => a.order - b.order).map(({ source, sentence }) => ({ source, sentence }));
}

/**
 * The offline chat model of the `local` provider: an extractive answerer. It reads ragline's
 * answer prompt (numbered `<source>` blocks and a question), quotes the sentences that best cover
 * the question with their citations, or says "I don't know." It writes no new text, so it cannot
 * hallucinate, and it cannot reason either; use a real chat model for production answers.
 */
export function createExtractiveChat(): ChatModel {
  const tokenizer = getTokenizer('o200k_base');
  return {
    provider: 'local',
    modelId: EXTRACTIVE_CHAT_ID,
    contextWindow: 128_000,
    maxOutputTokens: 4096,
    encoding: 'o200k_base',
    async *stream(request: ChatRequest): AsyncGenerator<ChatStreamPart> {
      request.signal?.throwIfAborted();
      const user = [...request.messages].reverse().find((m) => m.role === 'user');
      const { sources, question } = parseUserMessage(user?.content ?? '');
      const picks = extractAnswer(question, sources);
      const answer = picks.length === 0 ? DONT_KNOW : picks.map((p) => `${p.sentence} [${p.source}]`).join(' ');
      const inputTokens = request.messages.reduce((n, m) => n + tokenizer.count(m.content), 0);
      let written = 0;
      let finishReason: 'stop' | 'length' = 'stop';
      for (const piece of answer.match(/\S+\s*/g) ?? []) {
        const cost = tokenizer.count(piece);
        if (written + cost > request.maxOutputTokens) {
          finishReason = 'length';
          break;
        }
        written += cost;
        request.signal?.throwIfAborted();
        yield { type: 'text', text: piece };
      }
      yield { type: 'finish', finishReason, usage: { inputTokens, outputTokens: written } };
    },
  };
}
