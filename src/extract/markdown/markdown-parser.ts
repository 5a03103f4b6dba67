/**
 * The block structure of a Markdown document: headings and the heading path, code, quotes. The
 * line-by-line reading is {@link BlockScan}'s; this class holds what outlives one run of lines
 * (admonition and tab bodies are read by a nested scan into the same blocks).
 */
import type { Block, BlockKind } from '../../types.js';
import { enterHeading, type OpenHeading } from '../heading-path.js';
import { BlockScan } from './block-scan.js';
import { cleanInline, cleanLines } from './inline.js';
import { isBlank } from './syntax.js';

/** Heading attribute lists (`## Title {#id .class}`) of kramdown, Pandoc and attr_list. */
const HEADING_ATTRIBUTES_RE = /[ \t]*\{[#.][^}]*\}[ \t]*$/;

/** Quotes nested deeper than this are kept as text instead of being parsed further. */
const MAX_QUOTE_DEPTH = 32;

export class MarkdownParser {
  readonly blocks: Block[] = [];
  private headings: OpenHeading[] = [];
  private path: string[];

  /**
   * @param inQuote - Inside a blockquote headings are quoted text, not document structure.
   * @param depth - Blockquote nesting depth, bounded so `>>>>...` cannot exhaust the stack.
   */
  constructor(
    private readonly inQuote: boolean,
    path: string[] = [],
    private readonly depth = 0,
  ) {
    this.path = path;
  }

  push(kind: BlockKind, text: string, level?: number): void {
    if (!text) return;
    const block: Block = { kind, text, headingPath: this.path.slice() };
    if (level !== undefined) block.level = level;
    this.blocks.push(block);
  }

  heading(level: number, raw: string): void {
    const text = cleanInline(raw.replace(HEADING_ATTRIBUTES_RE, ''));
    if (!text) return;
    if (this.inQuote) {
      this.push('paragraph', text);
      return;
    }
    this.path = enterHeading(this.headings, level, text);
    this.push('heading', text, level);
  }

  code(lines: string[]): void {
    const first = lines.findIndex((line) => !isBlank(line));
    const text = first < 0 ? '' : lines.slice(first).join('\n').trimEnd();
    const last = this.blocks[this.blocks.length - 1];
    if (last !== undefined && last.kind === 'code' && last.text === text) return; // repeated tab
    this.push('code', text);
  }

  /** Parse lines of Markdown (front matter and comments already removed). */
  parse(lines: string[]): void {
    new BlockScan(this, lines).run();
  }

  quote(lines: string[]): void {
    if (this.depth >= MAX_QUOTE_DEPTH) {
      this.push('quote', cleanLines(lines.join('\n')));
      return;
    }
    const inner = new MarkdownParser(true, this.path, this.depth + 1);
    inner.parse(lines);
    // Quoted paragraphs make one quote block; quoted code, lists and tables keep their kind.
    let text: string[] = [];
    const flush = (): void => {
      this.push('quote', text.join('\n'));
      text = [];
    };
    for (const block of inner.blocks) {
      if (block.kind === 'paragraph') {
        text.push(block.text);
      } else {
        flush();
        this.blocks.push({ ...block, headingPath: this.path.slice() });
      }
    }
    flush();
  }
}
