/**
 * Noise pages: pages a site generates for navigation, not to be read — Sphinx's `genindex`,
 * `py-modindex` and `search`, MkDocs' `search`, 404 pages — and passages that are mostly a list of
 * links (an index, a table of contents). They match many questions by their words alone and push
 * the page that answers off the top k, so retrieval down-weights them: they still show when
 * nothing else matches, never silently dropped.
 */
import type { StoredChunk } from '../store/chunk-rows.js';

/** Why a passage counts as noise. */
export type NoiseReason = 'generated-index' | 'search-page' | 'not-found-page' | 'link-list';

/** Last path segment of generated index pages: Sphinx's general and module indexes, Doxygen-style lists. */
const INDEX_PAGE = /^(genindex(-[a-z0-9_]+)?|genindex-all|py-modindex|modindex|np-modindex|objects\.inv)(\.html?)?$/i;
const SEARCH_PAGE = /^search(\.html?)?$/i;
const NOT_FOUND_PAGE = /^(404|not[-_]found)(\.html?)?$/i;
const INDEX_TITLE = /^(index|general index|python module index|module index)(\s*[—–|-].*)?$/i;
const SEARCH_TITLE = /^search(\s*[—–|-].*)?$/i;
const NOT_FOUND_TITLE = /(^|\b)(404|page not found)\b/i;

/** The last non-empty segment of a URL's path (`search` for `/search/`, `genindex.html`). */
function lastSegment(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    path = url;
  }
  const parts = path.split('/').filter(Boolean);
  const last = parts.at(-1) ?? '';
  return /^index\.html?$/i.test(last) ? (parts.at(-2) ?? '') : last;
}

/**
 * A passage whose lines are mostly short list items (a link list: an index, a table of contents):
 * at least 8 lines, and 80% of them list items of at most 8 words.
 */
export function isLinkList(text: string): boolean {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length < 8) return false;
  const short = lines.filter((l) => /^([-*•]|\d+\.)\s/.test(l) && l.split(/\s+/).length <= 9).length;
  return short / lines.length >= 0.8;
}

/** Why this passage is noise, or undefined when it is content. */
export function noiseReason(chunk: Pick<StoredChunk, 'url' | 'title' | 'text'>): NoiseReason | undefined {
  const segment = lastSegment(chunk.url);
  const title = chunk.title.trim();
  if (INDEX_PAGE.test(segment) || INDEX_TITLE.test(title)) return 'generated-index';
  if (SEARCH_PAGE.test(segment) || SEARCH_TITLE.test(title)) return 'search-page';
  if (NOT_FOUND_PAGE.test(segment) || NOT_FOUND_TITLE.test(title)) return 'not-found-page';
  if (isLinkList(chunk.text)) return 'link-list';
  return undefined;
}

/**
 * Results with noise passages moved below every content passage (their order among themselves
 * kept), each marked with its `noise` reason. Nothing is dropped.
 */
export function demoteNoise<T extends StoredChunk>(results: readonly T[]): Array<T & { noise?: NoiseReason }> {
  const content: Array<T & { noise?: NoiseReason }> = [];
  const noise: Array<T & { noise?: NoiseReason }> = [];
  for (const r of results) {
    const reason = noiseReason(r);
    if (reason) noise.push({ ...r, noise: reason });
    else content.push(r);
  }
  return [...content, ...noise];
}
