/**
 * Choosing the element that holds a page's main content: `main`, `article`, `[role=main]` or the
 * content container of a documentation generator, scored by how much readable text each holds.
 */
import { SECTIONING } from './block-elements.js';
import { isChrome } from './chrome.js';
import { isElement, isText, type DomElement, type DomNode } from './dom.js';

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

/** The best candidate must hold this share of the page's readable text, else `body` is used. */
const MIN_ROOT_SHARE = 0.3;
/** A nested candidate replaces its ancestor when it holds this share of the best one's text. */
const INNER_ROOT_SHARE = 0.85;

function isCandidate(el: DomElement): boolean {
  if (CANDIDATE_TAGS.has(el.name)) return true;
  const { role, class: cls, id } = el.attribs;
  return (
    role === 'main' ||
    (cls !== undefined && CANDIDATE_CLASS_RE.test(cls)) ||
    (id !== undefined && CANDIDATE_ID_RE.test(id))
  );
}

function countNonSpace(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 32 && c !== 160) n++;
  }
  return n;
}

/** Whether an element or one of its ancestors makes a `<header>` section-level. */
export function startsInSection(el: DomElement): boolean {
  for (let node: DomNode | null = el; node !== null; node = node.parent) {
    if (isElement(node) && (SECTIONING.has(node.name) || node.attribs.role === 'main')) return true;
  }
  return false;
}

/** The candidates of a page in document order, with their nesting and readable text. */
interface Candidates {
  elements: DomElement[];
  /** Index of the nearest enclosing candidate, -1 for none. */
  parentOf: number[];
  /** Walk order at which each candidate's subtree starts and ends. */
  enter: number[];
  exit: number[];
  /** Readable characters in each candidate, nested ones included. */
  total: number[];
  /** Readable characters of the whole body. */
  bodyTotal: number;
  /** The page's `h1`s outside chrome (and not themselves candidates), with their walk order. */
  h1s: { el: DomElement; order: number }[];
}

/** One pass over the page: find the candidates and score each by its readable text, chrome excluded. */
function scoreCandidates(body: DomElement): Candidates {
  const c: Candidates = { elements: [], parentOf: [], enter: [], exit: [], total: [], bodyTotal: 0, h1s: [] };
  const own: number[] = []; // text directly in each candidate, not in a nested one
  let bodyOwn = 0;
  let order = 0;

  // Iterative pre-order walk; an `exitOf` frame marks the end of a candidate's subtree.
  type Frame = { node: DomNode; cand: number; inSection: boolean } | { exitOf: number };
  const stack: Frame[] = [{ node: body, cand: -1, inSection: startsInSection(body) }];
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    if ('exitOf' in frame) {
      c.exit[frame.exitOf] = order++;
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
      const index = c.elements.push(node) - 1;
      own.push(0);
      c.parentOf.push(cand);
      c.enter.push(order++);
      c.exit.push(-1);
      cand = index;
      stack.push({ exitOf: index });
    } else if (node.name === 'h1') {
      c.h1s.push({ el: node, order: order++ });
    }
    const inSection = frame.inSection || SECTIONING.has(node.name) || node.attribs.role === 'main';
    for (let i = node.children.length - 1; i >= 0; i--) {
      stack.push({ node: node.children[i] as DomNode, cand, inSection });
    }
  }

  // Candidates were found in document order, so descendants follow their ancestors: sum bottom-up.
  c.total = own.slice();
  c.bodyTotal = bodyOwn;
  for (let i = c.elements.length - 1; i >= 0; i--) {
    const parent = c.parentOf[i] as number;
    if (parent >= 0) c.total[parent] = (c.total[parent] as number) + (c.total[i] as number);
    else c.bodyTotal += c.total[i] as number;
  }
  return c;
}

export interface RootChoice {
  root: DomElement;
  /** An `h1` that sits before the chosen root inside a larger candidate (e.g. above `article`). */
  leadingH1: DomElement | undefined;
}

/**
 * Pick the element holding the main content. The candidate with the most readable text wins, then
 * the innermost candidate inside it that still holds nearly all of that text, so `main` gives way
 * to the `article` it wraps. `body` is used when no candidate holds a fair share of the page.
 */
export function pickRoot(body: DomElement): RootChoice {
  const { elements, parentOf, enter, exit, total, bodyTotal, h1s } = scoreCandidates(body);
  let best = -1;
  for (let i = 0; i < elements.length; i++) {
    if (best < 0 || (total[i] as number) > (total[best] as number)) best = i;
  }
  if (best < 0 || (total[best] as number) === 0 || (total[best] as number) < MIN_ROOT_SHARE * bodyTotal) {
    return { root: body, leadingH1: undefined };
  }
  const threshold = INNER_ROOT_SHARE * (total[best] as number);
  let current = best;
  for (;;) {
    let next = -1;
    for (let i = current + 1; i < elements.length; i++) {
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
  return { root: elements[current] as DomElement, leadingH1 };
}
