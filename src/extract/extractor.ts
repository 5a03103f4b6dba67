/** What an extractor is given and what it returns; the extract stage completes the result. */
import type { Block } from '../types.js';

/** Options of `extract` and `extractDocument`, handed to every format's extractor. Only HTML uses them. */
export interface ExtractOptions {
  /**
   * CSS selector of the main content, for sites the automatic detection gets wrong. Every match is
   * extracted, in document order. When nothing matches, detection is automatic as usual.
   * @default undefined (automatic: `main`, `[role=main]`, `article` and common documentation
   *   containers, scored by how much readable text they hold; else `body`)
   */
  contentSelector?: string;
  /**
   * CSS selectors of extra elements to drop before extraction (site-specific banners, widgets...),
   * on top of the built-in rules for navigation, sidebars, permalinks and the like.
   * @default []
   */
  removeSelectors?: string[];
  /**
   * HTML parser. `parse5` builds the tree a browser would, which matters for malformed pages;
   * `htmlparser2` makes extraction about twice as fast and gives the same blocks on well-formed,
   * generated documentation sites.
   * @default 'parse5'
   */
  htmlParser?: 'parse5' | 'htmlparser2';
}

/**
 * What a format's extractor returns; `extractDocument` completes it with the URL, the fallback
 * title (the URL's last path segment) and the content hash.
 */
export interface ExtractorResult {
  /** The title the document declares (`<title>`, front matter, first `h1`), if any. */
  title: string | undefined;
  /** Main content in document order; empty when the document has no readable content. */
  blocks: Block[];
}
