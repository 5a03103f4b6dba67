/**
 * A crawler trap that URL shapes cannot see: pages of one path whose query strings differ (random
 * tokens, sort orders, tracking ids, calendars) while their content does not, each linking to
 * more such query strings. The fan-out never runs out of new URLs, so only the content gives it
 * away: once several query strings of one path gave the same text, further ones are not kept.
 */
import { createHash } from 'node:crypto';

/**
 * The text of a page for comparing it with others: tags (and so every link, form token and
 * attribute), scripts, styles and the values of its own query parameters removed, white space
 * collapsed. Pages that differ only in their links and in echoing their query look the same.
 */
export function contentFingerprint(body: string, url: URL): string {
  let text = body.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<[^>]*>/g, ' ');
  for (const value of new Set(new URLSearchParams(url.search).values())) {
    if (value.length >= 3) text = text.split(value).join(' ');
  }
  return createHash('sha1').update(text.replace(/\s+/g, ' ').trim()).digest('base64');
}

/** Counts the content of pages per path and query parameter names, and says which repeat. */
export class SameContentQueries {
  /** Pages seen, by path and query parameter names. */
  private readonly pages = new Map<string, number>();
  /** Pages seen, by path, query parameter names and content. */
  private readonly copies = new Map<string, number>();
  /** Paths (and parameter names) whose new query strings are refused, with the reason. */
  private readonly refused = new Map<string, string>();

  /** @param maxCopies most pages of one path and parameter names that may have the same content */
  constructor(private readonly maxCopies: number) {}

  /**
   * Record a fetched page: a one-line reason when more than `maxCopies` other query strings of its
   * path gave the same content (the page is then a trap's, not kept); undefined otherwise.
   */
  note(url: URL, body: string): string | undefined {
    const path = pathOf(url);
    if (path === undefined) return undefined;
    const pages = (this.pages.get(path) ?? 0) + 1;
    this.pages.set(path, pages);
    const key = `${path}\n${contentFingerprint(body, url)}`;
    const copies = (this.copies.get(key) ?? 0) + 1;
    this.copies.set(key, copies);
    if (copies <= this.maxCopies) return undefined;
    const reason = `more than ${this.maxCopies} query strings of ${path} gave the same content`;
    // Mostly copies: the query does not matter to this path, so its new query strings are not followed.
    if (copies * 2 > pages) this.refused.set(path, reason);
    return reason;
  }

  /** A one-line reason when `url` is a new query string of a path known to repeat its content. */
  check(url: URL): string | undefined {
    const path = pathOf(url);
    return path === undefined ? undefined : this.refused.get(path);
  }
}

/** Host, path and sorted query parameter names (`x.org/list?q`); undefined without a query. */
function pathOf(url: URL): string | undefined {
  if (url.search === '') return undefined;
  const names = [...new Set(new URLSearchParams(url.search).keys())].sort().join('&');
  return `${url.host}${url.pathname}?${names}`;
}
