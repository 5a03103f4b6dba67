/**
 * HTML extraction: find a page's main content, drop the site chrome around and inside it, and walk
 * what remains in document order, emitting {@link Block}s.
 *
 * The page is parsed once with cheerio; everything after that is a small number of linear passes
 * over the tree (one to score the main-content candidates, one to emit blocks). Deep trees are
 * handled without deep recursion so hostile or broken markup cannot overflow the stack.
 */
import { load } from 'cheerio';
import { ConfigError, describeValue } from '../errors.js';
import type { Block, BlockKind } from '../types.js';
import type { ExtractOptions } from './extract.js';
import { dedupeBlocksFrom } from './dedupe-blocks.js';

/**
 * What each format's extractor returns; `extractDocument` completes it with the URL, the fallback
 * title and the content hash. (Shared by the extractors, not re-exported by the package.)
 */
export interface ExtractorResult {
  /** The title the document declares (`<title>`, front matter, first `h1`), if any. */
  title: string | undefined;
  blocks: Block[];
}

// --- A structural view of the domhandler nodes cheerio builds -----------------------------------
// cheerio's public types refer to `domhandler`, which is not one of our declared dependencies, so we
// describe the few fields we read ourselves; cheerio's nodes satisfy these interfaces structurally.

interface DomNode {
  /** `text`, `tag`, `script`, `style`, `comment`, `directive`, `cdata` or `root`. */
  readonly type: string;
  parent: DomNode | null;
}

interface DomText extends DomNode {
  data: string;
}

interface DomElement extends DomNode {
  /** Lower-case tag name. */
  name: string;
  attribs: Record<string, string>;
  children: DomNode[];
}

function isElement(node: DomNode): node is DomElement {
  // `script` and `style` are elements too (domhandler gives them their own node types).
  return node.type === 'tag' || node.type === 'script' || node.type === 'style';
}

function elementsOf(nodes: readonly DomNode[]): DomElement[] {
  return nodes.filter(isElement);
}

function isText(node: DomNode): node is DomText {
  return node.type === 'text';
}

function hasChildren(node: DomNode): node is DomNode & { children: DomNode[] } {
  return Array.isArray((node as { children?: unknown }).children);
}

// --- Vocabulary --------------------------------------------------------------------------------

/** Elements that never hold readable main content. */
const DROP_TAGS = new Set([
  'nav', 'footer', 'aside', 'script', 'style', 'noscript', 'template', 'svg', 'button', 'iframe',
  'frame', 'frameset', 'object', 'embed', 'canvas', 'audio', 'video', 'select', 'input', 'textarea',
  'label', 'dialog', 'menu', 'head', 'link', 'meta', 'title', 'map', 'area', 'datalist', 'slot',
]);

/** ARIA roles of site chrome. */
const DROP_ROLES = new Set([
  'navigation', 'search', 'banner', 'contentinfo', 'complementary', 'menu', 'menubar', 'toolbar',
  'dialog', 'alertdialog', 'tablist',
]);

/**
 * Class or id tokens that mark chrome in the generators documentation sites are built with (MkDocs
 * Material, Sphinx and its Read the Docs theme, sphinx-gallery, Docusaurus, VitePress, GitHub...).
 * Matched as whole tokens so that e.g. `toc-backref` (the link *around* a docutils heading's text)
 * or `wy-nav-content` (Read the Docs' content column) survive.
 */
const CHROME_TOKEN_RE = new RegExp(
  '(?:^|\\s)(?:' +
    [
      'sidebar', 'sphinxsidebar', 'sphinxsidebarwrapper', 'related', 'relbar\\S*', 'footer',
      'site-footer', 'site-header', 'pageheader', 'navbar', 'nav-bar', 'site-nav',
      'toc', 'toc-wrapper', 'page-toc', 'table-of-contents', 'theme-doc-toc-\\S+',
      'breadcrumb', 'breadcrumbs', 'wy-breadcrumbs', 'theme-doc-breadcrumbs',
      'headerlink', 'header-anchor', 'hash-link', 'anchorjs-link', 'anchor-link', 'heading-anchor',
      'skip-link', 'skip-to-content', 'skiplink', 'skip-nav',
      'edit-link', 'edit-this-page', 'edit-page', 'theme-edit-this-page', 'pagination-nav',
      'prev-next', 'cookie-banner', 'cookie-consent',
      // MkDocs Material
      'md-(?:sidebar|nav|header|footer|tabs|search|source|path|dialog|banner|announce|consent|feedback)\\S*',
      'md-top', 'md-skip', 'md-overlay', 'md-clipboard', 'md-content__button',
      // Read the Docs theme
      'wy-nav-side', 'wy-side-scroll', 'wy-side-nav-search', 'wy-menu', 'wy-menu-vertical',
      'wy-nav-top', 'rst-versions', 'rst-footer-buttons',
      // sphinx-gallery download boxes and timings
      'sphx-glr-download-link-note', 'sphx-glr-footer', 'sphx-glr-signature', 'sphx-glr-timing',
      // line numbers of highlighted code (Pygments), copy buttons
      'linenos', 'linenodiv', 'lineno', 'copybtn', 'copy-button',
    ].join('|') +
    ')(?=\\s|$)',
  'i',
);

/**
 * Looser chrome class names (`left-sidebar`, `docs-sidenav`, `navbar-main`...). These also occur on
 * layout wrappers (`with-sidebar`), so an element matching only these is dropped only when it holds
 * no `h1`/`h2`, `main` or `article`: real content wrappers have such headings, sidebars do not.
 */
const LOOSE_CHROME_RE =
  /(?:^|[\s_-])(?:sidebar|sidenav|navbar|breadcrumbs?|navigation|menu)(?:$|[\s_-])/i;

/** Docutils' local table of contents (`.. contents::`): `div.topic.contents` in older versions. */
const CONTENTS_TOPIC_RE = /(?:^|\s)contents(?:\s|$)/;
const TOPIC_RE = /(?:^|\s)topic(?:\s|$)/;

/** Docutils' sections before HTML5 output: `div.section`, with an id derived from the title. */
const SECTION_CLASS_RE = /(?:^|\s)section(?:\s|$)/;

/** Sphinx's display math: raw TeX in a `div.math`, whose line breaks are worth keeping. */
const DISPLAY_MATH_RE = /(?:^|\s)math(?:\s|$)/;

/** Containers of switchable tabs; tabs often repeat the same content (e.g. one command per OS). */
const TAB_SET_RE = /(?:^|\s)(?:tabbed-set|tab-set|sd-tab-set|sphinx-tabs|tabs)(?:\s|$)/;

/** Elements that start a new block of text: text runs inside them become paragraphs. */
const BLOCK_CONTAINERS = new Set([
  'address', 'article', 'aside', 'body', 'caption', 'center', 'dd', 'details', 'dialog', 'div',
  'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'header', 'hgroup', 'html', 'legend',
  'li', 'main', 'nav', 'p', 'search', 'section', 'summary', 'tbody', 'td', 'tfoot', 'th', 'thead',
  'tr',
]);

const HEADING_LEVEL: Record<string, number> = { h1: 1, h2: 2, h3: 3, h4: 4, h5: 5, h6: 6 };

/** Elements with their own block handling. */
const SPECIAL_BLOCKS = new Set(['pre', 'ul', 'ol', 'table', 'blockquote', 'dl', 'hr', ...Object.keys(HEADING_LEVEL)]);

function isBlockish(name: string): boolean {
  return BLOCK_CONTAINERS.has(name) || SPECIAL_BLOCKS.has(name);
}

/** Elements that scope a `<header>` to a section rather than to the page. */
const SECTIONING = new Set(['article', 'section', 'main']);

/**
 * Main-content candidates: `main`, `article`, `[role=main]` and the content containers of common
 * documentation generators. Which one wins is decided by how much readable text each holds (see
 * {@link pickRoot}); they are recognised during that pass rather than with a CSS selector, which
 * would cost another walk of the whole page.
 */
const CANDIDATE_TAGS = new Set(['main', 'article']);
const CANDIDATE_CLASS_RE = new RegExp(
  '(?:^|\\s)(?:' +
    [
      'md-content', 'document', 'body', 'content', 'rst-content', 'wy-nav-content', 'theme-doc-markdown',
      'markdown-body', 'vp-doc', 'main-content', 'page-content', 'post-content', 'entry-content',
    ].join('|') +
    ')(?=\\s|$)',
);
const CANDIDATE_ID_RE = /^(?:content|main-content)$/;

function isCandidate(el: DomElement): boolean {
  if (CANDIDATE_TAGS.has(el.name)) return true;
  const { role, class: cls, id } = el.attribs;
  return (
    role === 'main' ||
    (cls !== undefined && CANDIDATE_CLASS_RE.test(cls)) ||
    (id !== undefined && CANDIDATE_ID_RE.test(id))
  );
}

/** The best candidate must hold this share of the page's readable text, else `body` is used. */
const MIN_ROOT_SHARE = 0.3;
/** A nested candidate replaces its ancestor when it holds this share of the best one's text. */
const INNER_ROOT_SHARE = 0.85;
/** Beyond this element depth the walker flattens subtrees into text instead of recursing. */
const MAX_DEPTH = 200;

/** Marks a `<br>` in collected inline text until it is turned into a line break. */
const BR = '\0';
const INVISIBLE_RE = /[\u0001-\u0008\u000b\u000e-\u001f\u007f\u00ad\u200b\u2060\ufeff]/g;
const SPACES_RE = /\s+/g;
/** Permalink marks some generators leave at the end of headings. */
const TRAILING_PERMALINK_RE = /\s*[¶🔗]+\s*$/u;
const PERMALINK_TEXT_RE = /^[\s#¶§🔗]*$/u;
const IMAGE_FILE_RE = /\.(?:png|jpe?g|gif|svg|webp|avif|bmp|ico)$/i;
const GENERIC_ALT_RE = /^(?:image|img|picture|photo|icon|logo|badge|screenshot|figure|alt|null|undefined|spacer|\W+)$/i;

// --- Text helpers ------------------------------------------------------------------------------

/**
 * Collapse whitespace (non-breaking spaces included) of inline text; `BR` marks become line
 * breaks. Empty lines are dropped.
 */
function normalizeInline(raw: string): string {
  const cleaned = raw.replace(INVISIBLE_RE, '');
  if (!cleaned.includes(BR)) return cleaned.replace(SPACES_RE, ' ').trim();
  const lines: string[] = [];
  for (const line of cleaned.split(BR)) {
    const text = line.replace(SPACES_RE, ' ').trim();
    if (text) lines.push(text);
  }
  return lines.join('\n');
}

/** Code keeps its spacing; only carriage returns, NBSPs and blank edges go. */
function normalizeCode(raw: string): string {
  return raw
    .replace(/\r\n?/g, '\n')
    .replace(/\u00a0/g, ' ')
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '')
    .replace(/^(?:[ \t]*\n)+/, '')
    .replace(/\s+$/, '');
}

function stripPermalink(text: string): string {
  return text.replace(TRAILING_PERMALINK_RE, '');
}

function meaningfulAlt(el: DomElement): string {
  const alt = (el.attribs.alt ?? '').replace(SPACES_RE, ' ').trim();
  if (alt.length < 2 || !/\p{L}/u.test(alt)) return '';
  if (GENERIC_ALT_RE.test(alt) || IMAGE_FILE_RE.test(alt) || /^https?:\/\//i.test(alt)) return '';
  return alt;
}

/** The text directly inside an element (one level), for cheap checks of short links. */
function ownText(el: DomElement): string {
  let text = '';
  for (const child of el.children) if (isText(child)) text += child.data;
  return text;
}

/** TeX source of a MathML element when the page kept it (KaTeX, MathJax), else its text. */
function mathText(el: DomElement): string {
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

function textContent(el: DomElement): string {
  const out: string[] = [];
  const stack: DomNode[] = [el];
  while (stack.length > 0) {
    const node = stack.pop() as DomNode;
    if (isText(node)) out.push(node.data);
    else if (hasChildren(node)) {
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as DomNode);
    }
  }
  return out.join('');
}

/** `<script type="math/tex">` is how MathJax 2 keeps TeX in a rendered page: that is content. */
function scriptMath(el: DomElement): string | undefined {
  return el.name === 'script' && /^math\/tex/i.test(el.attribs.type ?? '') ? textContent(el) : undefined;
}

// --- Chrome detection --------------------------------------------------------------------------

function containsMajorHeading(el: DomElement): boolean {
  const stack: DomNode[] = [...el.children];
  while (stack.length > 0) {
    const node = stack.pop() as DomNode;
    if (!isElement(node)) continue;
    if (node.name === 'h1' || node.name === 'h2' || node.name === 'main' || node.name === 'article') {
      return true;
    }
    for (const child of node.children) stack.push(child);
  }
  return false;
}

/**
 * Whether an element is site chrome (or otherwise unreadable) and must be skipped with its subtree.
 * `inSection` tells whether it sits inside an `article`/`section`/`main`, where a `<header>` belongs
 * to the content (it often holds the `h1`) instead of to the page.
 */
function isChrome(el: DomElement, inSection: boolean): boolean {
  const name = el.name;
  if (DROP_TAGS.has(name)) return true;
  if (name === 'header' && !inSection) return true;
  const attribs = el.attribs;
  if (attribs.hidden !== undefined && attribs.hidden !== 'until-found') return true;
  if (attribs['aria-hidden'] === 'true') return true;
  const role = attribs.role;
  if (role !== undefined && DROP_ROLES.has(role.trim().toLowerCase())) return true;
  const cls = attribs.class;
  const id = attribs.id;
  if (cls !== undefined && CHROME_TOKEN_RE.test(cls)) return true;
  // Sphinx and other generators derive section ids from titles: a section about the "Sidebar" or
  // the "Footer" has that id, so ids are not trusted on sections.
  if (id !== undefined && CHROME_TOKEN_RE.test(id) && name !== 'section' && !SECTION_CLASS_RE.test(cls ?? '')) {
    return true;
  }
  if (cls !== undefined && CONTENTS_TOPIC_RE.test(cls) && TOPIC_RE.test(cls)) return true;
  if (name === 'a') {
    const href = attribs.href ?? '';
    // GitHub's `a.anchor` permalinks; a link that merely has an "anchor" class keeps its text.
    if (cls !== undefined && /(?:^|\s)anchor(?:\s|$)/.test(cls) && PERMALINK_TEXT_RE.test(textContent(el))) return true;
    if (href.startsWith('#') && /^\s*skip\b.*\b(?:content|main|navigation)\b/i.test(ownText(el))) return true;
  }
  if (name === 'form') return !containsMajorHeading(el); // ASP.NET pages wrap everything in a form
  if (cls !== undefined && LOOSE_CHROME_RE.test(cls) && !containsMajorHeading(el)) return true;
  return false;
}

/** A permalink anchor inside a heading: `<a href="#x">#</a>`, `¶`, or an icon. */
function isHeadingAnchor(el: DomElement): boolean {
  return el.name === 'a' && (el.attribs.href ?? '').startsWith('#') && PERMALINK_TEXT_RE.test(textContent(el));
}

// --- Flattening subtrees into text -------------------------------------------------------------

type GatherMode =
  /** Paragraph-like text: `<br>` is a line break. */
  | 'inline'
  /** Table cells and headings: everything on one line. */
  | 'line'
  /** Code: text as is, `<br>` and block boundaries are newlines. */
  | 'pre';

const NEWLINE_IF_NEEDED = Symbol('newline');
const SPACE = Symbol('space');

/** Text of a subtree without chrome, iteratively (the subtree may be arbitrarily deep). */
function gatherText(root: DomElement, mode: GatherMode, dropHeadingAnchors = false): string {
  const out: string[] = [];
  const stack: (DomNode | typeof NEWLINE_IF_NEEDED | typeof SPACE)[] = [];
  for (let i = root.children.length - 1; i >= 0; i--) stack.push(root.children[i] as DomNode);
  // Alt text of the last image, while only whitespace has followed it.
  let lastAlt = '';
  while (stack.length > 0) {
    const node = stack.pop() as DomNode | typeof NEWLINE_IF_NEEDED | typeof SPACE;
    if (node === SPACE) {
      out.push(' ');
      continue;
    }
    if (node === NEWLINE_IF_NEEDED) {
      const last = out[out.length - 1];
      if (last !== undefined && !last.endsWith('\n')) out.push('\n');
      continue;
    }
    if (isText(node)) {
      out.push(node.data.includes('\0') ? node.data.replaceAll('\0', '') : node.data);
      if (lastAlt && /\S/.test(node.data)) lastAlt = '';
      continue;
    }
    if (!isElement(node)) continue;
    const math = scriptMath(node);
    if (math !== undefined) {
      if (mode !== 'pre') out.push(` ${math} `);
      lastAlt = '';
      continue;
    }
    if (isChrome(node, true) || (dropHeadingAnchors && isHeadingAnchor(node))) continue;
    const name = node.name;
    if (name === 'br') {
      out.push(mode === 'pre' ? '\n' : mode === 'inline' ? BR : ' ');
      continue;
    }
    if (name === 'img') {
      if (mode === 'pre') continue;
      const alt = meaningfulAlt(node);
      // The same picture twice in a row is a light/dark theme pair, not two pictures.
      if (alt && alt !== lastAlt) out.push(` ${alt} `);
      if (alt) lastAlt = alt;
      continue;
    }
    if (name === 'math' && mode !== 'pre') {
      out.push(` ${mathText(node)} `);
      lastAlt = '';
      continue;
    }
    if (isBlockish(name)) {
      if (mode === 'pre') stack.push(NEWLINE_IF_NEEDED);
      else {
        out.push(' ');
        stack.push(SPACE);
      }
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as DomNode);
  }
  return out.join('');
}

// --- Choosing the main content -----------------------------------------------------------------

function countNonSpace(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 32 && c !== 160) n++;
  }
  return n;
}

/** Whether an element or one of its ancestors makes a `<header>` section-level. */
function startsInSection(el: DomElement): boolean {
  for (let node: DomNode | null = el; node !== null; node = node.parent) {
    if (isElement(node) && (SECTIONING.has(node.name) || node.attribs.role === 'main')) return true;
  }
  return false;
}

interface RootChoice {
  root: DomElement;
  /** An `h1` that sits before the chosen root inside a larger candidate (e.g. above `article`). */
  leadingH1: DomElement | undefined;
}

/**
 * Pick the element holding the main content. One pass over the page finds the candidates (see
 * {@link isCandidate}) and scores each by its readable text, chrome excluded. The largest wins, then
 * the innermost candidate inside it that still holds nearly all of that text, so `main` gives way
 * to the `article` it wraps. `body` is used when no candidate holds a fair share of the page.
 */
function pickRoot(body: DomElement): RootChoice {
  const candidates: DomElement[] = [];
  const own: number[] = []; // text directly in each candidate, not in a nested one
  const parentOf: number[] = []; // index of the nearest enclosing candidate, -1 for none
  const enter: number[] = [];
  const exit: number[] = [];
  const h1s: { el: DomElement; order: number }[] = [];
  let bodyOwn = 0;
  let order = 0;

  // Iterative pre-order walk; an `exitOf` frame marks the end of a candidate's subtree.
  type Frame = { node: DomNode; cand: number; inSection: boolean } | { exitOf: number };
  const stack: Frame[] = [{ node: body, cand: -1, inSection: startsInSection(body) }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if ('exitOf' in frame) {
      exit[frame.exitOf] = order++;
      continue;
    }
    const { node } = frame;
    if (isText(node)) {
      const n = countNonSpace(node.data);
      if (frame.cand >= 0) own[frame.cand] = (own[frame.cand] as number) + n;
      else bodyOwn += n;
      continue;
    }
    if (!isElement(node)) continue;
    if (node !== body && isChrome(node, frame.inSection)) continue;
    let cand = frame.cand;
    if (node !== body && isCandidate(node)) {
      const index = candidates.push(node) - 1;
      own.push(0);
      parentOf.push(cand);
      enter.push(order++);
      exit.push(-1);
      cand = index;
      stack.push({ exitOf: index });
    } else if (node.name === 'h1') {
      h1s.push({ el: node, order: order++ });
    }
    const inSection = frame.inSection || SECTIONING.has(node.name) || node.attribs.role === 'main';
    for (let i = node.children.length - 1; i >= 0; i--) {
      stack.push({ node: node.children[i] as DomNode, cand, inSection });
    }
  }

  // Candidates were found in document order, so descendants follow their ancestors: sum bottom-up.
  const total = own.slice();
  let bodyTotal = bodyOwn;
  for (let i = candidates.length - 1; i >= 0; i--) {
    const parent = parentOf[i] as number;
    if (parent >= 0) total[parent] = (total[parent] as number) + (total[i] as number);
    else bodyTotal += total[i] as number;
  }

  let best = -1;
  for (let i = 0; i < candidates.length; i++) {
    if (best < 0 || (total[i] as number) > (total[best] as number)) best = i;
  }
  if (best < 0 || (total[best] as number) === 0 || (total[best] as number) < MIN_ROOT_SHARE * bodyTotal) {
    return { root: body, leadingH1: undefined };
  }
  const threshold = INNER_ROOT_SHARE * (total[best] as number);
  let current = best;
  for (;;) {
    let next = -1;
    for (let i = current + 1; i < candidates.length; i++) {
      if (parentOf[i] === current && (total[i] as number) >= threshold) {
        next = i;
        break;
      }
    }
    if (next < 0) break;
    current = next;
  }

  let leadingH1: DomElement | undefined;
  if (current !== best) {
    const start = enter[current] as number;
    const end = exit[current] as number;
    if (!h1s.some((h) => h.order > start && h.order < end)) {
      leadingH1 = h1s.find((h) => h.order > (enter[best] as number) && h.order < start)?.el;
    }
  }
  return { root: candidates[current] as DomElement, leadingH1 };
}

/** First element named `name` in document order (iteratively), skipping SVG subtrees. */
function findFirst(root: DomNode, name: string): DomElement | undefined {
  const stack: DomNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as DomNode;
    if (isElement(node)) {
      if (node.name === name) return node;
      if (node.name === 'svg') continue; // an SVG's <title> is a tooltip, not the page's title
    }
    if (hasChildren(node)) {
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as DomNode);
    }
  }
  return undefined;
}

/** The child element named `name`. */
function childNamed(node: DomNode | undefined, name: string): DomElement | undefined {
  if (node === undefined || !hasChildren(node)) return undefined;
  for (const child of node.children) if (isElement(child) && child.name === name) return child;
  return undefined;
}

// --- Emitting blocks ---------------------------------------------------------------------------

interface ListState {
  /** Lines of the list block being built. */
  lines: string[];
  /** Nesting depth of the items being collected (0 for top-level items). */
  depth: number;
  /**
   * The current item already has its `- ` line, so more text of it (after a nested list) is a
   * continuation line.
   */
  itemStarted: boolean;
}

/** Walks the main content in document order and builds blocks. */
class BlockWalker {
  readonly blocks: Block[] = [];
  /** Enclosing headings, outermost first. */
  private headings: { level: number; text: string }[] = [];
  private path: string[] = [];
  /** Inline text collected since the last block boundary. */
  private buf: string[] = [];
  /** Set while inside a list: `buf` is then the current item's text. */
  private list: ListState | null = null;
  /** Alt text of the last image, while only whitespace has followed it in `buf`. */
  private lastAlt = '';

  walkRoot(root: DomElement, leadingH1: DomElement | undefined): void {
    if (leadingH1 !== undefined) this.heading(leadingH1, 1);
    this.visitChildren(root, startsInSection(root), 0);
    this.breakFlow();
  }

  private push(kind: BlockKind, text: string, level?: number): void {
    if (!text) return;
    const last = this.blocks[this.blocks.length - 1];
    // The same block twice in a row is duplicated markup (a thumbnail's caption and its overlay
    // title, one snippet in two tabs), not something the author wrote twice.
    if (kind !== 'heading' && last !== undefined && last.kind === kind && last.text === text) return;
    const block: Block = { kind, text, headingPath: this.path.slice() };
    if (level !== undefined) block.level = level;
    this.blocks.push(block);
  }

  private visitChildren(el: DomElement, inSection: boolean, depth: number): void {
    for (const child of el.children) this.visit(child, inSection, depth + 1);
  }

  private visit(node: DomNode, inSection: boolean, depth: number): void {
    if (isText(node)) {
      this.buf.push(node.data.includes('\0') ? node.data.replaceAll('\0', '') : node.data);
      if (this.lastAlt && /\S/.test(node.data)) this.lastAlt = '';
      return;
    }
    if (!isElement(node)) return; // comments, doctypes, processing instructions
    const math = scriptMath(node);
    if (math !== undefined) {
      this.buf.push(` ${math} `);
      this.lastAlt = '';
      return;
    }
    if (isChrome(node, inSection)) return;
    if (depth > MAX_DEPTH) {
      // Pathologically deep markup: keep its text, give up on its structure.
      this.buf.push(' ', gatherText(node, 'inline'), ' ');
      return;
    }
    const name = node.name;
    const level = HEADING_LEVEL[name];
    if (level !== undefined) {
      this.heading(node, level);
      return;
    }
    const section = inSection || SECTIONING.has(name) || node.attribs.role === 'main';
    switch (name) {
      case 'br':
        this.buf.push(BR);
        return;
      case 'img':
        this.image(node);
        return;
      case 'math':
        this.buf.push(` ${mathText(node)} `);
        this.lastAlt = '';
        return;
      case 'pre':
        this.code(node);
        return;
      case 'ul':
      case 'ol':
        this.listBlock(node, section, depth);
        return;
      case 'table':
        this.table(node, section, depth);
        return;
      case 'blockquote':
        this.quote(node, section, depth);
        return;
      case 'dl':
        this.definitionList(node, section, depth);
        return;
      case 'hr':
        this.breakFlow();
        return;
    }
    if (name === 'div' && node.attribs.class !== undefined && DISPLAY_MATH_RE.test(node.attribs.class)) {
      this.breakFlow();
      const lines = gatherText(node, 'pre').split('\n');
      this.push('paragraph', lines.map((line) => line.replace(SPACES_RE, ' ').trim()).filter(Boolean).join('\n'));
      return;
    }
    const tabStart = node.attribs.class !== undefined && TAB_SET_RE.test(node.attribs.class) ? this.blocks.length : -1;
    if (!BLOCK_CONTAINERS.has(name)) {
      this.visitChildren(node, section, depth); // inline element: its text joins the current run
    } else if (this.list !== null) {
      // Paragraphs inside a list item are part of the item's line.
      this.buf.push(' ');
      this.visitChildren(node, section, depth);
      this.buf.push(' ');
    } else {
      this.flushParagraph();
      this.visitChildren(node, section, depth);
      this.flushParagraph();
    }
    if (tabStart >= 0) {
      this.breakFlow();
      this.dedupeSince(tabStart);
    }
  }

  private image(el: DomElement): void {
    const alt = meaningfulAlt(el);
    if (!alt) return;
    // The same picture twice in a row is a light/dark theme pair, not two pictures.
    if (alt !== this.lastAlt) this.buf.push(' ', alt, ' ');
    this.lastAlt = alt;
  }

  /** End the current text run: a paragraph, or the current list item and the list block so far. */
  private breakFlow(): void {
    if (this.list === null) {
      this.flushParagraph();
      return;
    }
    this.pushItemLine();
    if (this.list.lines.length > 0) {
      this.push('list', this.list.lines.join('\n'));
      this.list.lines = [];
    }
    // What follows (after a code block, say) opens a new list block with a fresh `- ` line.
    this.list.itemStarted = false;
  }

  private flushParagraph(): void {
    if (this.buf.length === 0) return;
    const text = normalizeInline(this.buf.join(''));
    this.buf = [];
    this.lastAlt = '';
    this.push('paragraph', text);
  }

  private pushItemLine(): void {
    const list = this.list;
    if (list === null || this.buf.length === 0) return;
    const text = normalizeInline(this.buf.join(''));
    this.buf = [];
    this.lastAlt = '';
    if (!text) return;
    const indent = '  '.repeat(list.depth);
    const marker = list.itemStarted ? '  ' : '- ';
    list.lines.push(`${indent}${marker}${text.replace(/\n/g, `\n${indent}  `)}`);
    list.itemStarted = true;
  }

  /** Run `fn` in normal flow even inside a list item (for quotes and description lists in items). */
  private inFlow(fn: () => void): void {
    const saved = this.list;
    this.breakFlow();
    this.list = null;
    fn();
    this.flushParagraph();
    this.list = saved;
  }

  private heading(el: DomElement, level: number): void {
    this.breakFlow();
    const text = stripPermalink(normalizeInline(gatherText(el, 'line', true)));
    if (!text) return;
    while (this.headings.length > 0 && (this.headings[this.headings.length - 1] as { level: number }).level >= level) {
      this.headings.pop();
    }
    this.headings.push({ level, text });
    this.path = this.headings.map((h) => h.text);
    this.push('heading', text, level);
  }

  private code(el: DomElement): void {
    this.breakFlow();
    this.push('code', normalizeCode(gatherText(el, 'pre')));
  }

  private listBlock(el: DomElement, inSection: boolean, depth: number): void {
    const nested = this.list !== null;
    if (nested) {
      this.pushItemLine();
    } else {
      this.flushParagraph();
      this.list = { lines: [], depth: 0, itemStarted: false };
    }
    const list = this.list as ListState;
    const outerStarted = list.itemStarted;
    if (nested) list.depth++;
    for (const child of el.children) {
      if (isElement(child) && child.name === 'li') {
        if (isChrome(child, inSection)) continue;
        this.pushItemLine();
        list.itemStarted = false;
        this.visitChildren(child, inSection, depth + 1);
        this.pushItemLine();
      } else {
        this.visit(child, inSection, depth + 1);
      }
    }
    this.pushItemLine();
    if (nested) {
      list.depth--;
      list.itemStarted = outerStarted;
    } else {
      this.breakFlow();
      this.list = null;
    }
  }

  private quote(el: DomElement, inSection: boolean, depth: number): void {
    this.breakFlow();
    const start = this.blocks.length;
    this.inFlow(() => this.visitChildren(el, inSection, depth));
    // Paragraphs of a quote become one quote block; code, lists and tables quoted (or, in Sphinx,
    // merely indented) keep their kind.
    const inner = this.blocks.splice(start);
    let lines: string[] = [];
    let path: string[] = this.path;
    const flush = (): void => {
      if (lines.length > 0) this.blocks.push({ kind: 'quote', text: lines.join('\n'), headingPath: path.slice() });
      lines = [];
    };
    for (const block of inner) {
      if (block.kind === 'paragraph') {
        if (lines.length === 0) path = block.headingPath;
        lines.push(block.text);
      } else {
        flush();
        this.blocks.push(block);
      }
    }
    flush();
  }

  private table(el: DomElement, inSection: boolean, depth: number): void {
    this.breakFlow();
    if (hasDescendant(el, 'pre')) {
      // A layout table, typically Pygments' line numbers beside the code: walk it as flow.
      this.inFlow(() => this.visitChildren(el, inSection, depth));
      return;
    }
    const rows: DomElement[] = [];
    for (const child of el.children) {
      if (!isElement(child) || isChrome(child, true)) continue;
      if (child.name === 'caption') {
        this.push('paragraph', stripPermalink(normalizeInline(gatherText(child, 'line', true))));
      } else if (child.name === 'tr') {
        rows.push(child);
      } else if (child.name === 'thead' || child.name === 'tbody' || child.name === 'tfoot') {
        for (const row of child.children) {
          if (isElement(row) && row.name === 'tr' && !isChrome(row, true)) rows.push(row);
        }
      }
    }
    this.push('table', tableText(rows));
  }

  private definitionList(el: DomElement, inSection: boolean, depth: number): void {
    this.breakFlow();
    this.inFlow(() => {
      let lines: string[] = [];
      let term: string | null = null;
      const flushTerm = (): void => {
        if (term) lines.push(term);
        term = null;
      };
      const flushLines = (): void => {
        this.push('paragraph', lines.join('\n'));
        lines = [];
      };
      const items: DomElement[] = [];
      collectDefinitionItems(el, items);
      for (const item of items) {
        if (isChrome(item, inSection)) continue;
        if (item.name === 'dt') {
          flushTerm();
          term = stripPermalink(normalizeInline(gatherText(item, 'line', true))) || null;
        } else if (isSimpleDefinition(item)) {
          const definition = normalizeInline(gatherText(item, 'line'));
          if (term && definition) lines.push(term.endsWith(':') ? `${term} ${definition}` : `${term}: ${definition}`);
          else if (term || definition) lines.push(term || definition);
          term = null;
        } else {
          // A definition with its own paragraphs, code or lists (API docs): the term is a
          // paragraph of its own and the definition is walked as normal content.
          flushLines();
          if (term) this.push('paragraph', term);
          term = null;
          this.visitChildren(item, inSection, depth + 1);
          this.flushParagraph();
        }
      }
      flushTerm();
      flushLines();
    });
  }

  /** Drop blocks repeated within a tab set (each tab showing the same snippet for another OS...). */
  private dedupeSince(start: number): void {
    dedupeBlocksFrom(this.blocks, start);
  }
}

function hasDescendant(el: DomElement, name: string): boolean {
  const stack: DomNode[] = [...el.children];
  while (stack.length > 0) {
    const node = stack.pop() as DomNode;
    if (!isElement(node)) continue;
    if (node.name === name) return true;
    for (const child of node.children) stack.push(child);
  }
  return false;
}

/** `dt`/`dd` children of a `dl`, also inside the `div` groups HTML allows. */
function collectDefinitionItems(el: DomElement, out: DomElement[]): void {
  for (const child of el.children) {
    if (!isElement(child)) continue;
    if (child.name === 'dt' || child.name === 'dd') out.push(child);
    else if (child.name === 'div' && !isChrome(child, true)) collectDefinitionItems(child, out);
  }
}

/** A definition that fits on the `term: definition` line: inline content and at most one `p`. */
function isSimpleDefinition(dd: DomElement): boolean {
  let paragraphs = 0;
  for (const child of dd.children) {
    if (!isElement(child)) continue;
    if (child.name === 'p') {
      if (++paragraphs > 1) return false;
    } else if (isBlockish(child.name)) {
      return false;
    }
  }
  return true;
}

/** Upper bound on grid cells, so `rowspan`/`colspan` abuse cannot blow up memory or time. */
const MAX_TABLE_CELLS = 200_000;
const COLSPAN_ONLY = Symbol('colspan');

/**
 * One line per row, cells separated by ` | `. A cell spanning rows is repeated on each row it
 * covers (each line then reads on its own); a cell spanning columns is written once.
 */
function tableText(rows: DomElement[]): string {
  const grid: (string | typeof COLSPAN_ONLY | undefined)[][] = rows.map(() => []);
  let budget = MAX_TABLE_CELLS;
  rows.forEach((row, r) => {
    const line = grid[r] as (string | typeof COLSPAN_ONLY | undefined)[];
    let c = 0;
    for (const cell of row.children) {
      if (!isElement(cell) || (cell.name !== 'td' && cell.name !== 'th') || isChrome(cell, true)) continue;
      while (line[c] !== undefined) c++;
      const text = normalizeInline(gatherText(cell, 'line'));
      let rowspan = Number.parseInt(cell.attribs.rowspan ?? '1', 10);
      let colspan = Number.parseInt(cell.attribs.colspan ?? '1', 10);
      // rowspan="0" means "to the end of the table"; nonsense values mean 1.
      if (rowspan === 0) rowspan = rows.length - r;
      if (!Number.isFinite(rowspan) || rowspan < 1) rowspan = 1;
      if (!Number.isFinite(colspan) || colspan < 1) colspan = 1;
      rowspan = Math.min(rowspan, rows.length - r);
      colspan = Math.min(colspan, 1000);
      if (rowspan * colspan > budget) {
        rowspan = 1;
        colspan = 1;
      }
      budget -= rowspan * colspan;
      for (let dr = 0; dr < rowspan; dr++) {
        const target = grid[r + dr] as (string | typeof COLSPAN_ONLY | undefined)[];
        for (let dc = 0; dc < colspan; dc++) target[c + dc] = dc === 0 ? text : COLSPAN_ONLY;
      }
      c += colspan;
    }
  });
  const lines: string[] = [];
  for (const line of grid) {
    const cells: string[] = [];
    for (const cell of line) if (cell !== COLSPAN_ONLY) cells.push(cell ?? '');
    while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
    if (cells.some((cell) => cell !== '')) lines.push(cells.join(' | '));
  }
  return lines.join('\n');
}

// --- Entry point -------------------------------------------------------------------------------

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

/**
 * Extract the title and main-content blocks of an HTML page.
 *
 * @param html - The decoded page.
 * @param options - Content selection overrides; see {@link ExtractOptions}.
 * @returns The `<title>` (else the first `h1`) and the blocks; `blocks` is empty when the page has
 *   no readable content. Never throws on malformed markup.
 */
export function extractHtml(html: string, options: ExtractOptions = {}): ExtractorResult {
  const $ =
    options.htmlParser === 'htmlparser2'
      ? load(html, { xml: { xmlMode: false, decodeEntities: true, lowerCaseAttributeNames: true } })
      : load(html);
  if (options.removeSelectors !== undefined && options.removeSelectors.length > 0) {
    const selector = options.removeSelectors.join(', ');
    withSelector('removeSelectors', selector, () => $(selector).remove());
  }

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

  let roots: DomElement[] = [];
  let leadingH1: DomElement | undefined;
  if (options.contentSelector !== undefined) {
    const selector = options.contentSelector;
    const matched = withSelector('contentSelector', selector, () => elementsOf($(selector).toArray()));
    const set = new Set(matched);
    // Keep the outermost matches only, so nothing is emitted twice.
    roots = matched.filter((el) => {
      for (let p = el.parent; p !== null; p = p.parent) if (set.has(p as DomElement)) return false;
      return true;
    });
  }
  if (roots.length === 0) {
    const choice = pickRoot(body);
    roots = [choice.root];
    leadingH1 = choice.leadingH1;
  }

  const walker = new BlockWalker();
  for (const root of roots) walker.walkRoot(root, leadingH1);

  if (title === undefined) {
    const h1 = findFirst(document, 'h1');
    if (h1 !== undefined) title = stripPermalink(normalizeInline(gatherText(h1, 'line', true))) || undefined;
  }
  return { title, blocks: walker.blocks };
}
