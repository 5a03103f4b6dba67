/** The reranking step: a `Reranker` reorders retrieved candidates by relevance to the query. */
import { ModelError } from '../errors.js';
import type { Reranker } from '../models/spec.js';
import type { SearchResult } from './types.js';

/** Options of {@link rerankResults}. */
export interface RerankResultsOptions {
  /** Results to keep, best first. @default all */
  topN?: number;
  signal?: AbortSignal;
}

/** The text a reranker judges: where the passage sits, then the passage. */
function rerankText(r: SearchResult): string {
  const where = [r.title, ...r.headingPath.filter((h) => h !== r.title)].filter(Boolean).join(' › ');
  return where ? `${where}\n\n${r.text}` : r.text;
}

/**
 * Reorder `results` by the reranker's relevance scores (`score` becomes that score, and
 * `relevanceScore` keeps it). Candidates are sent in calls of at most `maxDocumentsPerCall`. An
 * index the reranker returns that is out of range is a `ModelError`, never a silent drop.
 */
export async function rerankResults(results: readonly SearchResult[], reranker: Reranker, query: string, options: RerankResultsOptions = {}): Promise<SearchResult[]> {
  if (results.length === 0) return [];
  const per = reranker.maxDocumentsPerCall ?? results.length;
  const scored: SearchResult[] = [];
  for (let start = 0; start < results.length; start += per) {
    const batch = results.slice(start, start + per);
    const { results: ranked } = await reranker.rerank({ query, documents: batch.map(rerankText), ...(options.signal ? { signal: options.signal } : {}) });
    for (const { index, relevanceScore } of ranked) {
      const r = batch[index];
      if (!r || !Number.isFinite(relevanceScore)) {
        throw new ModelError(reranker.provider, reranker.modelId, `Reranker ${reranker.provider}/${reranker.modelId} returned index ${index} with score ${relevanceScore} for ${batch.length} documents.`);
      }
      scored.push({ ...r, score: relevanceScore, relevanceScore });
    }
  }
  scored.sort((a, b) => b.score - a.score);
  return options.topN === undefined ? scored : scored.slice(0, options.topN);
}
