/**
 * Site chrome: navigation, sidebars, tables of contents, permalinks, banners and the like, in the
 * markup of the generators documentation sites are built with. Such elements are skipped with
 * their subtree.
 */
import { hasDescendantWhere, isText, textContent, type DomElement } from './dom.js';

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

const PERMALINK_TEXT_RE = /^[\s#¶§🔗]*$/u;

function containsMajorHeading(el: DomElement): boolean {
  return hasDescendantWhere(el, (node) => node.name === 'h1' || node.name === 'h2' || node.name === 'main' || node.name === 'article');
}

/** The text directly inside an element (one level), for cheap checks of short links. */
function ownText(el: DomElement): string {
  let text = '';
  for (const child of el.children) if (isText(child)) text += child.data;
  return text;
}

/** Permalinks (GitHub's `a.anchor`) and "skip to content" links. */
function isChromeLink(el: DomElement): boolean {
  const cls = el.attribs.class;
  const href = el.attribs.href ?? '';
  // GitHub's `a.anchor` permalinks; a link that merely has an "anchor" class keeps its text.
  if (cls !== undefined && /(?:^|\s)anchor(?:\s|$)/.test(cls) && PERMALINK_TEXT_RE.test(textContent(el))) return true;
  return href.startsWith('#') && /^\s*skip\b.*\b(?:content|main|navigation)\b/i.test(ownText(el));
}

/**
 * Whether an element is site chrome (or otherwise unreadable) and must be skipped with its subtree.
 * `inSection` tells whether it sits inside an `article`/`section`/`main`, where a `<header>` belongs
 * to the content (it often holds the `h1`) instead of to the page.
 */
export function isChrome(el: DomElement, inSection: boolean): boolean {
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
  if (name === 'a' && isChromeLink(el)) return true;
  if (name === 'form') return !containsMajorHeading(el); // ASP.NET pages wrap everything in a form
  if (cls !== undefined && LOOSE_CHROME_RE.test(cls) && !containsMajorHeading(el)) return true;
  return false;
}

/** A permalink anchor inside a heading: `<a href="#x">#</a>`, `¶`, or an icon. */
export function isHeadingAnchor(el: DomElement): boolean {
  return el.name === 'a' && (el.attribs.href ?? '').startsWith('#') && PERMALINK_TEXT_RE.test(textContent(el));
}
