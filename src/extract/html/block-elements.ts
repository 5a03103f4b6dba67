/** Which HTML elements start blocks of text, and which have block handling of their own. */

/** Elements that start a new block of text: text runs inside them become paragraphs. */
export const BLOCK_CONTAINERS = new Set([
  'address', 'article', 'aside', 'body', 'caption', 'center', 'dd', 'details', 'dialog', 'div',
  'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'header', 'hgroup', 'html', 'legend',
  'li', 'main', 'nav', 'p', 'search', 'section', 'summary', 'tbody', 'td', 'tfoot', 'th', 'thead',
  'tr',
]);

export const HEADING_LEVEL: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };

/** Elements with their own block handling. */
const SPECIAL_BLOCKS = new Set(['pre', 'ul', 'ol', 'table', 'blockquote', 'dl', 'hr', ...Object.keys(HEADING_LEVEL)]);

export function isBlockish(name: string): boolean {
  return BLOCK_CONTAINERS.has(name) || SPECIAL_BLOCKS.has(name);
}

/** Elements that scope a `<header>` to a section rather than to the page. */
export const SECTIONING = new Set(['article', 'section', 'main']);
