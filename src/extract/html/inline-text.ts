/**
 * Inline text of HTML: whitespace and invisible characters, `<br>` marks, image alt text, math.
 */
import { isElement, textContent, type DomElement, type DomNode } from './dom.js';

/** Marks a `<br>` in collected inline text until it is turned into a line break. */
export const BR = '\0';
const INVISIBLE_RE = /[\u0001-\u0008\u000b\u000e-\u001f\u007f\u00ad\u200b\u2060\ufeff]/g;
export const SPACES_RE = /\s+/g;
/** Permalink marks some generators leave at the end of headings. */
const TRAILING_PERMALINK_RE = /\s*[¶🔗]+\s*$/u;
const IMAGE_FILE_RE = /\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico)$/i;
const GENERIC_ALT_RE = /^(?:image|img|picture|photo|icon|logo|badge|screenshot|figure|alt|null|undefined|spacer|\W+)$/i;

/**
 * Collapse whitespace (non-breaking spaces included) of inline text; `BR` marks become line
 * breaks. Empty lines are dropped.
 */
export function normalizeInline(raw: string): string {
  const cleaned = raw.replace(INVISIBLE_RE, '');
  if (!cleaned.includes(BR)) return cleaned.replace(SPACES_RE, ' ').trim();
  const lines: string[] = [];
  for (const line of cleaned.split(BR)) {
    const text = line.replace(SPACES_RE, ' ').trim();
    if (text) lines.push(text);
  }
  return lines.join('\n');
}

export function stripPermalink(text: string): string {
  return text.replace(TRAILING_PERMALINK_RE, '');
}

/** Text nodes' data with stray `BR` marks (NULs in the page) removed. */
export function textData(data: string): string {
  return data.includes(BR) ? data.replaceAll(BR, '') : data;
}

export function meaningfulAlt(el: DomElement): string {
  const alt = (el.attribs.alt ?? '').replace(SPACES_RE, ' ').trim();
  if (alt.length < 2 || !/\p{L}/u.test(alt)) return '';
  if (GENERIC_ALT_RE.test(alt) || IMAGE_FILE_RE.test(alt) || /^https?:\/\//i.test(alt)) return '';
  return alt;
}

/** TeX source of a MathML element when the page kept it (KaTeX, MathJax), else its text. */
export function mathText(el: DomElement): string {
  if (el.attribs.alttext) return el.attribs.alttext;
  const stack: DomNode[] = [el];
  while (stack.length > 0) {
    const node = stack.pop() as DomNode;
    if (!isElement(node)) continue;
    if (node.name === 'annotation' && /tex/i.test(node.attribs.encoding ?? '')) {
      return textContent(node);
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as DomNode);
  }
  return textContent(el);
}

/** `<script type="math/tex">` is how MathJax 2 keeps TeX in a rendered page: that is content. */
export function scriptMath(el: DomElement): string | undefined {
  return el.name === 'script' && /^math\/tex/i.test(el.attribs.type ?? '') ? textContent(el) : undefined;
}
