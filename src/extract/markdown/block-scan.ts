/**
 * One run over lines of Markdown: which construct each line opens or continues (paragraphs, lists,
 * code, headings, quotes, tables, admonitions, tabs), in CommonMark's order of precedence. Each
 * `read...` method consumes the lines of its construct and says whether it did.
 */
import { dedupeBlocksFrom } from '../dedupe-blocks.js';
import { readFence, readIndented } from './code-blocks.js';
import { cleanInline, cleanLines } from './inline.js';
import { addItem, listItem, type ListState } from './lists.js';
import type { MarkdownParser } from './markdown-parser.js';
import { readQuote } from './quotes.js';
import {
  ADMONITION_RE, ATX_RE, CONTAINER_MARKER_RE, HR_RE, LINK_DEFINITION_RE, QUOTE_RE, SETEXT_RE, TAB_RE,
  indentOf, isBlank, isBlockStart, isFenceOpen,
} from './syntax.js';
import { readTable } from './tables.js';

export class BlockScan {
  /** Index of the line being read. */
  private i = 0;
  /** Lines of the open paragraph. */
  private para: string[] = [];
  private list: ListState | null = null;
  /** Index of the first block of the current run of tabs, -1 outside one. */
  private tabRunStart = -1;

  constructor(
    private readonly parser: MarkdownParser,
    private readonly lines: string[],
  ) {}

  run(): void {
    while (this.i < this.lines.length) {
      const line = this.lines[this.i] as string;
      if (!this.readBlock(line)) {
        this.para.push(line);
        this.i++;
      }
    }
    this.flushParagraph();
    this.flushList();
  }

  /** Consume the construct `line` starts or continues; false when it is a paragraph line. */
  private readBlock(line: string): boolean {
    if (isBlank(line)) {
      this.flushParagraph();
      if (this.list !== null) this.list.blank = true;
      this.i++;
      return true;
    }
    const isTab = TAB_RE.test(line);
    if (!isTab && indentOf(line) < 4) this.tabRunStart = -1;
    const item = listItem(line);
    if (this.list !== null && this.continueList(line, item)) return true;
    return (
      this.readFence(line) ||
      this.readAtxHeading(line) ||
      this.readSetextHeading(line) ||
      this.skipLine(HR_RE.test(line), true) ||
      this.readQuote(line) ||
      this.readTable() ||
      this.startList(item) ||
      this.readIndentedCode(line) ||
      this.readAdmonitionOrTab(line, isTab) ||
      this.skipLine(CONTAINER_MARKER_RE.test(line), true) ||
      this.skipLine(this.para.length === 0 && LINK_DEFINITION_RE.test(line), false)
    );
  }

  private flushParagraph(): void {
    const para = this.para;
    if (para.length === 0) return;
    let text = '';
    para.forEach((raw, k) => {
      const hardBreak = / {2,}$|\\$/.test(raw);
      text += raw.replace(/(?: {2,}|\\)$/, '').trim();
      if (k < para.length - 1) text += hardBreak ? '\n' : ' ';
    });
    this.para = [];
    this.parser.push('paragraph', cleanLines(text));
  }

  private flushList(): void {
    if (this.list === null) return;
    this.parser.push('list', this.list.lines.join('\n'));
    this.list = null;
  }

  /** A line that is no text (a thematic break, a container marker, a link definition). */
  private skipLine(skip: boolean, endsParagraph: boolean): boolean {
    if (!skip) return false;
    if (endsParagraph) this.flushParagraph();
    this.i++;
    return true;
  }

  /** A further item of the open list, or a continuation line of its last item; else the list ends. */
  private continueList(line: string, item: RegExpExecArray | null): boolean {
    const list = this.list as ListState;
    if (item !== null) {
      addItem(list, indentOf(item[1] as string), item[4] ?? '');
      this.i++;
      return true;
    }
    if (!isBlockStart(line) && (indentOf(line) >= 2 || !list.blank)) {
      // A continuation line (or a further paragraph) of the last item.
      const text = cleanInline(line);
      const last = list.lines.length - 1;
      if (text && last >= 0) list.lines[last] += ` ${text}`;
      else if (text) list.lines.push(`- ${text}`);
      this.i++;
      return true;
    }
    this.flushList();
    return false;
  }

  private startList(item: RegExpExecArray | null): boolean {
    if (item === null) return false;
    // Only an item numbered 1 (or a bullet) with text may interrupt a paragraph (CommonMark).
    const number = item[3];
    const interrupts = item[4] !== undefined && (number === undefined || Number(number) === 1);
    if (this.para.length > 0 && !interrupts) return false;
    this.flushParagraph();
    this.list = { lines: [], indents: [], blank: false };
    addItem(this.list, indentOf(item[1] as string), item[4] ?? '');
    this.i++;
    return true;
  }

  private readFence(line: string): boolean {
    const fence = isFenceOpen(line);
    if (fence === null) return false;
    this.flushParagraph();
    const { body, next } = readFence(this.lines, this.i, indentOf(fence[1] as string), fence[2] as string);
    this.parser.code(body);
    this.i = next;
    return true;
  }

  private readIndentedCode(line: string): boolean {
    // Indented code, unless it is the body of an admonition or tab (handled where they start).
    if (indentOf(line) < 4 || this.para.length > 0) return false;
    const { body, next } = readIndented(this.lines, this.i);
    this.parser.code(body);
    this.i = next;
    return true;
  }

  private readAtxHeading(line: string): boolean {
    const atx = ATX_RE.exec(line);
    if (atx === null) return false;
    this.flushParagraph();
    const raw = (atx[2] ?? '').replace(/(?:^|[ \t]+)#+$/, '');
    this.parser.heading((atx[1] as string).length, raw);
    this.i++;
    return true;
  }

  /** An `===` or `---` underline turns the open paragraph into a heading. */
  private readSetextHeading(line: string): boolean {
    const setext = SETEXT_RE.exec(line);
    if (setext === null || this.para.length === 0) return false;
    const raw = this.para.map((l) => l.trim()).join(' ');
    this.para = [];
    this.parser.heading((setext[1] as string)[0] === '=' ? 1 : 2, raw);
    this.i++;
    return true;
  }

  private readQuote(line: string): boolean {
    if (!QUOTE_RE.test(line)) return false;
    this.flushParagraph();
    const { inner, next } = readQuote(this.lines, this.i);
    this.parser.quote(inner);
    this.i = next;
    return true;
  }

  private readTable(): boolean {
    const table = readTable(this.lines, this.i);
    if (table === undefined) return false;
    this.flushParagraph();
    this.parser.push('table', table.text);
    this.i = table.next;
    return true;
  }

  /** An admonition's title and body, or one tab of a tab set (repeats across tabs dropped). */
  private readAdmonitionOrTab(line: string, isTab: boolean): boolean {
    const admonition = ADMONITION_RE.exec(line);
    if (admonition === null && !isTab) return false;
    this.flushParagraph();
    if (admonition !== null) {
      const kind = admonition[1] as string;
      const title = admonition[2] ?? kind.charAt(0).toUpperCase() + kind.slice(1);
      this.parser.push('paragraph', cleanInline(title));
    } else if (this.tabRunStart < 0) {
      this.tabRunStart = this.parser.blocks.length;
    }
    const { body, next } = readIndented(this.lines, this.i + 1);
    this.parser.parse(body);
    // Drop blocks repeated within a tab set (each tab showing the same snippet for another OS...).
    if (isTab) dedupeBlocksFrom(this.parser.blocks, this.tabRunStart);
    this.i = next;
    return true;
  }
}
