/**
 * The stand-in's `POST /v1/rerank`, shaped like Cohere's and Jina's: `{model, query, documents,
 * top_n}` → `{results: [{index, relevance_score}]}`, best first. A document scores the share of
 * the query's distinct stemmed words it contains, so tests see a real, predictable reordering.
 */
import { terms } from '../../src/models/local/terms.js';
import { invalidRequest, missingParameter } from './api-errors.js';

/** Relevance of `document` to `query`: the share of the query's distinct terms it has, 0..1. */
export function overlapScore(query: string, document: string): number {
  const q = new Set(terms(query));
  if (q.size === 0) return 0;
  const d = new Set(terms(document));
  let shared = 0;
  for (const t of q) if (d.has(t)) shared++;
  return shared / q.size;
}

/** The reply to a rerank request, or an API error for a malformed one. */
export function rerankResponse(body: Record<string, unknown>): unknown {
  const { model, query, documents, top_n: topN } = body;
  if (typeof model !== 'string' || model === '') throw missingParameter('model');
  if (typeof query !== 'string') throw missingParameter('query');
  if (!Array.isArray(documents) || documents.some((d) => typeof d !== 'string')) throw invalidRequest("'documents' must be an array of strings", 'documents');
  if (topN !== undefined && (typeof topN !== 'number' || !Number.isInteger(topN) || topN < 1)) throw invalidRequest("'top_n' must be a positive integer", 'top_n');
  const scored = (documents as string[]).map((d, index) => ({ index, relevance_score: overlapScore(query, d) }));
  // Stable: equal scores keep the retrieved order.
  scored.sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
  return { id: 'rerank-stand-in', results: scored.slice(0, topN ?? scored.length), meta: { billed_units: { search_units: 1 } } };
}
