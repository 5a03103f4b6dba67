/** Diversity: the top k spans several pages, unless one page is all that matches. */

/**
 * The first `k` results with at most `maxPerPage` passages of any one page (by `url`), in their
 * order; when fewer than `k` pass the cap, the best of those held back fill the rest, so a
 * question only one page answers still gets `k` passages. `maxPerPage` 0 turns the cap off.
 */
export function capPerPage<T extends { url: string }>(results: readonly T[], k: number, maxPerPage: number): T[] {
  if (maxPerPage <= 0) return results.slice(0, k);
  const perPage = new Map<string, number>();
  const picked: T[] = [];
  const held: T[] = [];
  for (const r of results) {
    const n = perPage.get(r.url) ?? 0;
    if (n < maxPerPage) {
      perPage.set(r.url, n + 1);
      picked.push(r);
      if (picked.length === k) return picked;
    } else held.push(r);
  }
  const fill = new Set(held.slice(0, k - picked.length));
  // Keep the original order: a held-back passage goes back where it ranked.
  return results.filter((r) => picked.includes(r) || fill.has(r));
}
