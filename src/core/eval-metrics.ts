/** The summary of an evaluation: retrieval metrics over answerable questions, answer metrics, latency, cost. */
import type { QuestionResult } from './evaluate.js';
import { samePage } from './eval-questions.js';

/** Answer metrics of an evaluation run with a chat model. */
export interface AnswerSummary {
  /** Of the sources answers to answerable questions cite, the share that are expected pages. */
  citedPrecision: number | null;
  /** Share of answerable questions whose answer cites an expected page. */
  citesExpected: number | null;
  /** Share of unanswerable questions answered "I don't know" (higher is better). */
  dontKnowUnanswerable: number | null;
  /** Share of answerable questions answered "I don't know" (lower is better). */
  dontKnowAnswerable: number | null;
  latencyMs: { p50: number; p95: number };
}

/** The numbers of an evaluation. Retrieval metrics cover answerable questions only; null when there are none. */
export interface EvalSummary {
  questions: number;
  answerable: number;
  unanswerable: number;
  hitAt1: number | null;
  hitAt5: number | null;
  mrr: number | null;
  ndcg10: number | null;
  /** hit@k for k = 1..10 (index 0 is hit@1). */
  hitCurve: Array<number | null>;
  /** Search latency, ms. */
  latencyMs: { p50: number; p95: number };
  /** Estimated US dollars of the run's model calls; 0 for local models; null when a model has no known price. */
  costUsd: number | null;
  answers?: AnswerSummary;
}

/** The p-th percentile (0..100) by nearest rank; 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const share = (n: number, d: number): number | null => (d === 0 ? null : n / d);
const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

function summarizeAnswers(results: readonly QuestionResult[]): AnswerSummary | undefined {
  const answered = results.filter((r) => r.answer !== undefined);
  if (answered.length === 0) return undefined;
  const answerable = answered.filter((r) => r.expected.length > 0);
  const unanswerable = answered.filter((r) => r.expected.length === 0);
  const cited = answerable.flatMap((r) => (r.cited ?? []).map((url) => r.expected.some((e) => samePage(url, e))));
  return {
    citedPrecision: share(cited.filter(Boolean).length, cited.length),
    citesExpected: share(answerable.filter((r) => (r.cited ?? []).some((url) => r.expected.some((e) => samePage(url, e)))).length, answerable.length),
    dontKnowUnanswerable: share(unanswerable.filter((r) => r.dontKnow).length, unanswerable.length),
    dontKnowAnswerable: share(answerable.filter((r) => r.dontKnow).length, answerable.length),
    latencyMs: { p50: percentile(answered.map((r) => r.answerLatencyMs ?? 0), 50), p95: percentile(answered.map((r) => r.answerLatencyMs ?? 0), 95) },
  };
}

/** Summarize per-question results. */
export function summarize(results: readonly QuestionResult[], costUsd: number | null): EvalSummary {
  const answerable = results.filter((r) => r.expected.length > 0);
  const hitAt = (k: number) => share(answerable.filter((r) => r.rank !== undefined && r.rank <= k).length, answerable.length);
  const answers = summarizeAnswers(results);
  return {
    questions: results.length,
    answerable: answerable.length,
    unanswerable: results.length - answerable.length,
    hitAt1: hitAt(1),
    hitAt5: hitAt(5),
    mrr: mean(answerable.map((r) => (r.rank ? 1 / r.rank : 0))),
    ndcg10: mean(answerable.map((r) => r.ndcg10 ?? 0)),
    hitCurve: Array.from({ length: 10 }, (_, i) => hitAt(i + 1)),
    latencyMs: { p50: percentile(results.map((r) => r.latencyMs), 50), p95: percentile(results.map((r) => r.latencyMs), 95) },
    costUsd,
    ...(answers ? { answers } : {}),
  };
}
