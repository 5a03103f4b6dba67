/**
 * A bound on how deep markup nests, applied before parsing. The HTML parser looks through the
 * open elements on every start tag, so its work grows with the nesting depth: 100k nested `<div>`s
 * took 79 s. Elements nested deeper than {@link MAX_HTML_DEPTH} are flattened into their ancestor
 * at that depth (their tags dropped, their content kept), as browsers do past 512 levels (this bound
 * counts neither `<li>`s nor table rows and cells, so the tree may be a few times deeper); no real
 * page comes near it. One linear pass over the markup, which is returned unchanged when it stays
 * within the bound.
 */

/** Elements nested deeper than this are flattened into their ancestor at this depth. */
export const MAX_HTML_DEPTH = 256;

/** Elements without content: they never open a level. */
const VOID = new Set(['area', 'base', 'basefont', 'bgsound', 'br', 'col', 'embed', 'frame', 'hr', 'image', 'img', 'input', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);

/**
 * Elements whose end tag may be left out because the next sibling of their kind closes them
 * (`<li>`, `<p>`, `<td>`...): counting them would see depth where there is none.
 */
const OPTIONAL_END = new Set(['html', 'head', 'body', 'p', 'li', 'dt', 'dd', 'option', 'optgroup', 'tr', 'td', 'th', 'thead', 'tbody', 'tfoot', 'colgroup', 'caption', 'rb', 'rt', 'rtc', 'rp']);

/** Elements whose content is text up to their end tag, whatever it looks like. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);

const TAG_NAME = /[a-zA-Z][^\s/>]*/y;

/** The index of the `>` that ends the tag whose name ends at `from`, or -1 when the tag runs to the end. */
function tagEnd(html: string, from: number): number {
  let afterEquals = false;
  for (let i = from; i < html.length; i++) {
    const c = html[i];
    if (c === '>') return i;
    if ((c === '"' || c === "'") && afterEquals) {
      const close = html.indexOf(c, i + 1);
      if (close < 0) return -1;
      i = close;
      afterEquals = false;
    } else if (c === '=') afterEquals = true;
    else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r' && c !== '\f') afterEquals = false;
  }
  return -1;
}

/** The index just past the end tag of raw-text element `name` from `from`, or -1 when it is never closed. */
const rawTextEnds = new Map<string, RegExp>();

function rawTextEnd(html: string, name: string, from: number): number {
  let end = rawTextEnds.get(name);
  if (end === undefined) rawTextEnds.set(name, (end = new RegExp(`</${name}[\\s/>]`, 'gi')));
  end.lastIndex = from;
  const m = end.exec(html);
  if (m === null) return -1;
  const close = html.indexOf('>', m.index);
  return close < 0 ? -1 : close + 1;
}

/** What one tag at `at` is: its extent, whether it closes, and its lower-case name. */
interface Tag {
  end: number;
  closing: boolean;
  name: string;
  selfClosing: boolean;
}

/** The tag starting at `at` (`<name` or `</name`), or undefined when `<` does not open one. */
function tagAt(html: string, at: number): Tag | undefined {
  const closing = html[at + 1] === '/';
  TAG_NAME.lastIndex = at + (closing ? 2 : 1);
  const m = TAG_NAME.exec(html);
  if (m === null) return undefined;
  const close = tagEnd(html, TAG_NAME.lastIndex);
  if (close < 0) return { end: html.length, closing, name: m[0].toLowerCase(), selfClosing: false };
  return { end: close + 1, closing, name: m[0].toLowerCase(), selfClosing: html[close - 1] === '/' };
}

/** Where the markup or comment at `at` that is not a tag ends (`<!-- -->`, `<!DOCTYPE>`, `<?...>`), or at + 1 for a lone `<`. */
function skipNonTag(html: string, at: number): number {
  if (html.startsWith('<!--', at)) {
    const close = html.indexOf('-->', at + 4);
    return close < 0 ? html.length : close + 3;
  }
  if (html[at + 1] === '!' || html[at + 1] === '?') {
    const close = html.indexOf('>', at + 2);
    return close < 0 ? html.length : close + 1;
  }
  return at + 1;
}

/**
 * `html` with the start and end tags of elements nested deeper than `maxDepth` removed, their
 * content kept in place; `html` itself when nothing nests that deep. Linear in the length of
 * `html`; tags inside comments, scripts, styles and attribute values are not counted.
 */
export function boundNesting(html: string, maxDepth: number = MAX_HTML_DEPTH): string {
  const kept: string[] = [];
  let copiedTo = 0;
  let dropped = false;
  let depth = 0;
  let at = html.indexOf('<');
  while (at >= 0 && at < html.length) {
    const tag = tagAt(html, at);
    if (tag === undefined) {
      at = html.indexOf('<', skipNonTag(html, at));
      continue;
    }
    let next = tag.end;
    const counted = !VOID.has(tag.name) && !OPTIONAL_END.has(tag.name);
    if (tag.closing) {
      if (counted) {
        if (depth > maxDepth) {
          kept.push(html.slice(copiedTo, at));
          copiedTo = tag.end;
        }
        depth = Math.max(0, depth - 1);
      }
    } else if (tag.name === 'plaintext') {
      break; // everything after it is text
    } else if (RAW_TEXT.has(tag.name)) {
      next = rawTextEnd(html, tag.name, tag.end);
      if (next < 0) break;
    } else if (counted && !tag.selfClosing) {
      depth++;
      if (depth > maxDepth) {
        kept.push(html.slice(copiedTo, at));
        copiedTo = tag.end;
        dropped = true;
      }
    }
    at = html.indexOf('<', next);
  }
  if (!dropped) return html;
  kept.push(html.slice(copiedTo));
  return kept.join('');
}
