/**
 * The walk over a page's main content in document order that builds {@link Block}s: text runs
 * become paragraphs, and headings, code, lists, tables, quotes and description lists are handed to
 * their own modules, which share the walker's state.
 */
import type { Block, BlockKind } from '../../types.js';
import { dedupeBlocksFrom } from '../dedupe-blocks.js';
import type { OpenHeading } from '../heading-path.js';
import { BLOCK_CONTAINERS, HEADING_LEVEL, SECTIONING } from './block-elements.js';
import { isChrome } from './chrome.js';
import { walkCode } from './code.js';
import { walkDefinitionList } from './definition-lists.js';
import { isElement, isText, type DomElement, type DomNode } from './dom.js';
import { gatherText } from './gather-text.js';
import { walkHeading } from './headings.js';
import { BR, SPACES_RE, mathText, meaningfulAlt, normalizeInline, scriptMath, textData } from './inline-text.js';
import { walkList, type ListState } from './lists.js';
import { startsInSection } from './main-content.js';
import { walkQuote } from './quotes.js';
import { walkTable } from './tables.js';

/** Beyond this element depth the walker flattens subtrees into text instead of recursing. */
const MAX_DEPTH = 200;

/** Sphinx's display math: raw TeX in a `div.math`, whose line breaks are worth keeping. */
const DISPLAY_MATH_RE = /(?:^|\s)math(?:\s|$)/;

/** Containers of switchable tabs; tabs often repeat the same content (e.g. one command per OS). */
const TAB_SET_RE = /(?:^|\s)(?:tabbed-set|tab-set|sd-tab-set|sphinx-tabs|tabs)(?:\s|$)/;

/**
 * Walks the main content in document order and builds blocks. Its state is open to the element
 * handlers of this folder (headings, lists, tables...), not to other code.
 */
export class BlockWalker {
  readonly blocks: Block[] = [];
  /** Enclosing headings, outermost first. */
  headings: OpenHeading[] = [];
  path: string[] = [];
  /** Inline text collected since the last block boundary. */
  buf: string[] = [];
  /** Set while inside a list: `buf` is then the current item's text. */
  list: ListState | null = null;
  /** Alt text of the last image, while only whitespace has followed it in `buf`. */
  lastAlt = '';

  walkRoot(root: DomElement, leadingH1: DomElement | undefined): void {
    if (leadingH1 !== undefined) walkHeading(this, leadingH1, 1);
    this.visitChildren(root, startsInSection(root), 0);
    this.breakFlow();
  }

  push(kind: BlockKind, text: string, level?: number): void {
    if (!text) return;
    const last = this.blocks[this.blocks.length - 1];
    // The same block twice in a row is duplicated markup (a thumbnail's caption and its overlay
    // title, one snippet in two tabs), not something the author wrote twice.
    if (kind !== 'heading' && last !== undefined && last.kind === kind && last.text === text) return;
    const block: Block = { kind, text, headingPath: this.path.slice() };
    if (level !== undefined) block.level = level;
    this.blocks.push(block);
  }

  visitChildren(el: DomElement, inSection: boolean, depth: number): void {
    for (const child of el.children) this.visit(child, inSection, depth + 1);
  }

  visit(node: DomNode, inSection: boolean, depth: number): void {
    if (isText(node)) {
      this.buf.push(textData(node.data));
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
    const level = HEADING_LEVEL[node.name];
    if (level !== undefined) {
      walkHeading(this, node, level);
      return;
    }
    const section = inSection || SECTIONING.has(node.name) || node.attribs.role === 'main';
    if (!this.visitSpecial(node, section, depth)) this.visitContainer(node, section, depth);
  }

  /** Elements with handling of their own; false for the others. */
  private visitSpecial(node: DomElement, section: boolean, depth: number): boolean {
    switch (node.name) {
      case 'br':
        this.buf.push(BR);
        return true;
      case 'img':
        this.image(node);
        return true;
      case 'math':
        this.buf.push(` ${mathText(node)} `);
        this.lastAlt = '';
        return true;
      case 'pre':
        walkCode(this, node);
        return true;
      case 'ul':
      case 'ol':
        walkList(this, node, section, depth);
        return true;
      case 'table':
        walkTable(this, node, section, depth);
        return true;
      case 'blockquote':
        walkQuote(this, node, section, depth);
        return true;
      case 'dl':
        walkDefinitionList(this, node, section, depth);
        return true;
      case 'hr':
        this.breakFlow();
        return true;
    }
    return false;
  }

  /** Display math, tab sets, block containers and inline elements. */
  private visitContainer(node: DomElement, section: boolean, depth: number): void {
    const cls = node.attribs.class;
    if (node.name === 'div' && cls !== undefined && DISPLAY_MATH_RE.test(cls)) {
      this.breakFlow();
      const lines = gatherText(node, 'pre').split('\n');
      this.push('paragraph', lines.map((line) => line.replace(SPACES_RE, ' ').trim()).filter(Boolean).join('\n'));
      return;
    }
    const tabStart = cls !== undefined && TAB_SET_RE.test(cls) ? this.blocks.length : -1;
    if (!BLOCK_CONTAINERS.has(node.name)) {
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
      // Drop blocks repeated within a tab set (each tab showing the same snippet for another OS...).
      dedupeBlocksFrom(this.blocks, tabStart);
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
  breakFlow(): void {
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

  flushParagraph(): void {
    if (this.buf.length === 0) return;
    const text = normalizeInline(this.buf.join(''));
    this.buf = [];
    this.lastAlt = '';
    this.push('paragraph', text);
  }

  /** End the current list item's text run: a `- ` line, or a continuation line of the item. */
  pushItemLine(): void {
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
  inFlow(fn: () => void): void {
    const saved = this.list;
    this.breakFlow();
    this.list = null;
    fn();
    this.flushParagraph();
    this.list = saved;
  }
}
