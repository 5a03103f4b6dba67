import type { ChatModel, ChatRequest, ChatStreamPart } from '../spec.js';
import { getTokenizer } from '../tokenizer.js';
import { terms } from './terms.js';

/** The model id of the offline extractive answerer. */
export const EXTRACTIVE_CHAT_ID = 'extractive-v1';

/** The reply when the sources do not support an answer: the words the answer prompt asks for. */
export const DONT_KNOW = "I don't know.";

interface Candidate {
  source: number;
  sentence: string;
  terms: Set<string>;
  order: number;
}

const isLine = (s: string) => s.includes(' | ') || s.startsWith('- ');

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

function sentencesOf(text: string): string[] {
  const out: string[] = [];
  // Extracted text keeps line breaks only where they mean something (code, table rows, list
  // items): a line is never part of a longer sentence.
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.length === 0) continue;
    if (line.includes(' | ')) {
      out.push(line);
      continue;
    }
    for (const { segment } of segmenter.segment(line)) {
      const s = segment.trim();
      if (s.length >= 3) out.push(s);
    }
  }
  return out.filter((s) => s.length <= 400);
}

/** Whether two sentences say nearly the same thing (Jaccard similarity of their terms ≥ 0.7). */
function similar(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 || shared / union >= 0.7;
}

/**
 * Pick the sentences that best answer `question` from numbered sources, or nothing when no
 * sentence covers enough of the question. Question terms are weighted by inverse document
 * frequency over the candidate sentences, so words every sentence shares count for little; terms
 * found nowhere in the sources count in full, so a question about something absent is not answered
 * from a sentence that matches only its common words. The best sentence must cover 30% of the weight.
 */
export function extractAnswer(
  question: string,
  sources: ReadonlyArray<{ number: number; text: string }>,
  options: { maxSentences?: number; minCoverage?: number } = {},
): Array<{ source: number; sentence: string }> {
  const maxSentences = options.maxSentences ?? 3;
  const minCoverage = options.minCoverage ?? 0.3;
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
  // A question term found in no source weighs as much as the rarest found one: sources that never
  // name what the question asks about do not answer it (issue 13: measured with `ragline eval --answers`).
  const idf = (t: string) => Math.log(1 + candidates.length / (1 + (df.get(t) ?? 0)));
  const total = q.reduce((sum, t) => sum + idf(t), 0);
  // Coverage of the question, with a small preference for better-ranked sources on near-ties.
  const coverage = (c: Candidate) => q.reduce((sum, t) => (c.terms.has(t) ? sum + idf(t) : sum), 0) / total;
  const scored = candidates
    .map((c) => ({ c, cov: coverage(c), rank: coverage(c) + 0.02 / c.source }))
    .sort((a, b) => b.rank - a.rank);
  const best = scored[0]!;
  if (best.cov < minCoverage) return [];

  const picked = new Set<Candidate>([best.c]);
  // A sentence that introduces what follows ("...as follows:") is useless without it: take the
  // next sentence, or the next rows and items of a table or list, from the same source.
  if (/:$/.test(best.c.sentence)) {
    for (const next of candidates.slice(best.c.order + 1, best.c.order + 9)) {
      if (next.source !== best.c.source) break;
      picked.add(next);
      if (!isLine(next.sentence)) break;
    }
  }
  const limit = picked.size - 1 + maxSentences;
  for (const { c, cov } of scored.slice(1)) {
    if (picked.size >= limit) break;
    if (cov >= Math.max(minCoverage, best.cov * 0.75) && ![...picked].some((p) => similar(p.terms, c.terms))) picked.add(c);
  }
  return [...picked].sort((a, b) => a.order - b.order).map(({ source, sentence }) => ({ source, sentence }));
}

/** Quoted sentences with one citation per run of sentences from the same source. */
export function formatAnswer(picks: ReadonlyArray<{ source: number; sentence: string }>): string {
  const runs: Array<{ source: number; text: string; lastWasLine: boolean }> = [];
  for (const p of picks) {
    const last = runs.at(-1);
    if (last && last.source === p.source) last.text += (isLine(p.sentence) || last.lastWasLine ? '\n' : ' ') + p.sentence;
    else runs.push({ source: p.source, text: p.sentence, lastWasLine: false });
    runs.at(-1)!.lastWasLine = isLine(p.sentence);
  }
  return runs.map((r) => `${r.text} [${r.source}]`).join('\n\n');
}

/**
 * The offline chat model of the `local` provider: an extractive answerer. It reads the request's
 * `grounding` (the question and numbered sources the answer prompt was built from), quotes the sentences that best cover
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
    // It quotes, never writes: no rewriting, no JSON schema replies.
    capabilities: { streaming: true, jsonSchema: false, generatesText: false },
    async *stream(request: ChatRequest): AsyncGenerator<ChatStreamPart> {
      request.signal?.throwIfAborted();
      // Without grounding there is nothing to quote from: the answer is "I don't know."
      const picks = request.grounding ? extractAnswer(request.grounding.question, request.grounding.sources) : [];
      const answer = picks.length === 0 ? DONT_KNOW : formatAnswer(picks);
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
