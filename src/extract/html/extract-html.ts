/**
 * HTML extraction: find a page's main content, drop the site chrome around and inside it, and walk
 * what remains in document order, emitting blocks.
 *
 * Markup nested deeper than browsers build is flattened first (see `boundNesting`), so parsing
 * stays linear. The page is parsed once with cheerio; everything after that is a small number of linear passes
 * over the tree (one to score the main-content candidates, one to emit blocks). Deep trees are
 * handled without deep recursion so hostile or broken markup cannot overflow the stack.
 */
import type { CheerioAPI } from 'cheerio';
import { lazyRequire } from '../../lazy-require.js';
import { ConfigError, describeValue } from '../../errors.js';
import type { ExtractOptions, ExtractorResult } from '../extractor.js';
import { BlockWalker } from './block-walker.js';
import { boundNesting } from './bound-nesting.js';
import { childNamed, elementsOf, findFirst, hasChildren, textContent, type DomElement, type DomNode } from './dom.js';
import { headingText } from './headings.js';
import { BR, normalizeInline } from './inline-text.js';
import { pickRoot } from './main-content.js';

// cheerio (with parse5 and undici) costs ~0.1 s to import: loaded on the first page extracted.
const cheerio = lazyRequire<typeof import('cheerio')>('cheerio');
const load: (typeof import('cheerio'))['load'] = (...args) => cheerio().load(...args);

/** Run a query with a user-supplied selector; a selector cheerio cannot parse is a ConfigError. */
function withSelector<T>(option: string, selector: string, query: () => T): T {
  try {
    return query();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(
      option,
      selector,
      `Invalid ${option} ${describeValue(selector)}: ${reason}. Use a CSS selector such as \`main .content\`.`,
      { cause: error },
    );
  }
}

/** The page's `body`, `<title>` text and whole document. */
function pageParts($: CheerioAPI): { document: DomNode; body: DomElement; title: string | undefined } {
  const document: DomNode = $.root().get(0) as DomNode;
  const htmlElement = childNamed(document, 'html');
  // parse5 always builds html/head/body; htmlparser2 keeps what the page has, possibly neither,
  // in which case the document's top-level nodes stand in for the body.
  const head = childNamed(htmlElement, 'head');
  const body: DomElement = childNamed(htmlElement, 'body') ??
    htmlElement ?? {
      type: 'tag',
      name: 'body',
      attribs: {},
      children: hasChildren(document) ? document.children : [],
      parent: null,
    };
  const titleElement = childNamed(head, 'title') ?? findFirst(document, 'title');
  let title: string | undefined;
  if (titleElement !== undefined) title = normalizeInline(textContent(titleElement).replaceAll(BR, '')) || undefined;
  return { document, body, title };
}

/** The outermost elements matching the user's `contentSelector`, in document order. */
function selectedRoots($: CheerioAPI, selector: string): DomElement[] {
  const matched = withSelector('contentSelector', selector, () => elementsOf($(selector).toArray()));
  const set = new Set(matched);
  // Keep the outermost matches only, so nothing is emitted twice.
  return matched.filter((el) => {
    for (let p = el.parent; p !== null; p = p.parent) if (set.has(p as DomElement)) return false;
    return true;
  });
}

function firstH1Text(document: DomNode): string | undefined {
  const h1 = findFirst(document, 'h1');
  return h1 === undefined ? undefined : headingText(h1) || undefined;
}

/**
 * Extract the title and main-content blocks of an HTML page.
 *
 * @param html - The decoded page.
 * @param options - Content selection overrides; see {@link ExtractOptions}.
 * @returns The `<title>` (else the first `h1`) and the blocks; `blocks` is empty when the page has
 *   no readable content. Never throws on malformed markup.
 * @throws {ConfigError} When `contentSelector` or `removeSelectors` is not a valid CSS selector.
 */
export function extractHtml(html: string, options: ExtractOptions = {}): ExtractorResult {
  // Elements nested past MAX_HTML_DEPTH are flattened first: the parser's work per tag grows with depth.
  const markup = boundNesting(html);
  const $ =
    options.htmlParser === 'htmlparser2'
      ? load(markup, { xml: { xmlMode: false, decodeEntities: true, lowerCaseAttributeNames: true } })
      : load(markup);
  if (options.removeSelectors !== undefined && options.removeSelectors.length > 0) {
    const selector = options.removeSelectors.join(', ');
    withSelector('removeSelectors', selector, () => $(selector).remove());
  }
  const { document, body, title } = pageParts($);

  let roots = options.contentSelector === undefined ? [] : selectedRoots($, options.contentSelector);
  let leadingH1: DomElement | undefined;
  if (roots.length === 0) {
    const choice = pickRoot(body);
    roots = [choice.root];
    leadingH1 = choice.leadingH1;
  }

  const walker = new BlockWalker();
  for (const root of roots) walker.walkRoot(root, leadingH1);

  return { title: title ?? firstH1Text(document), blocks: walker.blocks };
}
