/**
 * Deep markup cannot stall extraction (issue 16.5). The HTML parser checks the open elements on
 * every start tag, so 100k nested `<div>`s took 79 s (quadratic); elements nested past
 * MAX_HTML_DEPTH are flattened into their ancestor at that depth before parsing, as browsers do,
 * so the parser's work per tag is bounded. Asserted on the parsed tree's depth, not on time.
 */
import { load } from 'cheerio';
import { extractHtml } from '../../src/extract/html/extract-html.js';
import { boundNesting, MAX_HTML_DEPTH } from '../../src/extract/html/bound-nesting.js';

/** The depth of the deepest element under the document, counted iteratively (htmlparser2: linear even on deep input). */
function treeDepth(html: string): number {
  const $ = load(html, { xml: { xmlMode: false } });
  let max = 0;
  const stack: Array<[{ children?: unknown[] }, number]> = [[$.root().get(0) as { children?: unknown[] }, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    max = Math.max(max, depth);
    for (const child of (node.children ?? []) as Array<{ type: string; children?: unknown[] }>) {
      if (child.type === 'tag') stack.push([child, depth + 1]);
    }
  }
  return max;
}

const nested = (n: number, inner: string) => `<html><body>${'<div>'.repeat(n)}${inner}${'</div>'.repeat(n)}<p>After the divs.</p></body></html>`;

describe('deeply nested HTML', () => {
  test('100k nested divs parse to a tree no deeper than the bound, and their text is extracted', () => {
    const html = nested(100_000, 'The deepest sentence.');
    const bounded = boundNesting(html);
    // html, body and the divs up to the bound: the parser never holds more open elements.
    expect(treeDepth(bounded)).toBeLessThanOrEqual(MAX_HTML_DEPTH + 2);
    const { blocks } = extractHtml(html);
    expect(blocks.map((b) => b.text)).toEqual(['The deepest sentence.', 'After the divs.']);
  });

  test('text at every level of a too-deep tree is kept, in document order', () => {
    const n = MAX_HTML_DEPTH * 3;
    let html = '<html><body>';
    for (let i = 0; i < n; i++) html += `<div>Level ${i}.`;
    html += '</div>'.repeat(n) + '<p>Tail.</p></body></html>';
    const text = extractHtml(html).blocks.map((b) => b.text).join(' ');
    expect(text).toContain('Level 0.');
    expect(text).toContain(`Level ${n - 1}. Tail.`);
    expect(text.match(/Level \d+\./g)).toHaveLength(n);
  });

  test('markup within the bound is passed through unchanged', () => {
    const html = nested(MAX_HTML_DEPTH - 2, '<p>Deep <b>but</b> <img src="x.png"> fine.</p><!-- <div> --><script>if (a < b) "<div>"</script>');
    expect(boundNesting(html)).toBe(html);
  });

  test('tags in comments, scripts and attribute values do not count as nesting', () => {
    const fake = `<div title="<div><div>">${'<!-- <div> -->'.repeat(MAX_HTML_DEPTH)}<script>${'<div>'.repeat(MAX_HTML_DEPTH)}</script></div>`;
    expect(boundNesting(fake)).toBe(fake);
  });

  test('htmlparser2 gets the same bound', () => {
    const { blocks } = extractHtml(nested(50_000, 'Deep text.'), { htmlParser: 'htmlparser2' });
    expect(blocks.map((b) => b.text)).toEqual(['Deep text.', 'After the divs.']);
  });
});
