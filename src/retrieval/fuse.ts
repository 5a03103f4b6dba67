/** Reciprocal rank fusion of several retrievers' rankings into one. */
import type { Ranking, SearchResult } from './types.js';

/**
 * Fuse rankings by reciprocal rank: a chunk scores Σ 1 / (rrfK + rank) over the rankings that
 * found it. Ties go to the better vector rank. Each result keeps its rank in each retriever.
 */
export function fuseRankings(rankings: readonly Ranking[], rrfK = 60): SearchResult[] {
  const fused = new Map<number, SearchResult>();
  for (const { retriever, chunks } of rankings) {
    chunks.forEach((chunk, i) => {
      const rank = i + 1;
      let result = fused.get(chunk.chunkId);
      if (!result) {
        const { distance: _distance, ...stored } = chunk;
        result = { ...stored, score: 0 };
        fused.set(chunk.chunkId, result);
      }
      result[retriever === 'vector' ? 'vectorRank' : 'keywordRank'] = rank;
      if (chunk.distance !== undefined) result.distance = chunk.distance;
      result.score += 1 / (rrfK + rank);
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score || (a.vectorRank ?? Infinity) - (b.vectorRank ?? Infinity));
}
