/**
 * Markdown extraction: a line-based reader of the CommonMark/GFM constructs documentation sources
 * use (ATX and setext headings, fenced and indented code, lists, pipe tables, quotes, front matter,
 * MkDocs admonitions and tabs). It does not render Markdown: inline markup is reduced to the text a
 * reader sees (`[text](url)` -> `text`, `**bold**` -> `bold`), and code is kept verbatim.
 */
import type { Block, BlockKind } from '../types.js';
import type { ExtractorResult } from './extract-html.js';
import { dedupeBlocksFrom } from './dedupe-blocks.js';

const FENCE_OPEN_RE = /^([ \t]*)(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE_RE = /^[ \t]*(`{3,}|~{3,})[ \t]*$/;
const ATX_RE = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const SETEXT_RE = /^ {0,3}(=+|-+)[ \t]*$/;
const HR_RE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE_RE = /^ {0,3}> ?/;
const LIST_RE = /^([ \t]*)([-*+]|(\d{1,9})[.)])(?:[ \t]+(.*))?$/;
const TABLE_DELIMITER_RE = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
/** `[id]: https://...` link reference definitions are not text. Footnotes (`[^1]:`) are. */
const LINK_DEFINITION_RE = /^ {0,3}\[[^\]^][^\]]*\]:[ \t]*\S+/;
/** MkDocs (Python-Markdown) admonitions: `!!! note "Title"`, collapsible `??? tip`. */
const ADMONITION_RE = /^ {0,3}(?:!!!|\?\?\?\+?)[ \t]+(\S+)(?:[ \t]+"(.*)")?[ \t]*$/;
/** pymdownx.tabbed: `=== "Tab label"`, content indented below. */
const TAB_RE = /^ {0,3}===[+!]*[ \t]+"/;
/** Docusaurus/VitePress containers (`:::note Title` ... `:::`): the markers are not text. */
const CONTAINER_MARKER_RE = /^ {0,3}:::/;
/** Heading attribute lists (`## Title {#id .class}`) of kramdown, Pandoc and attr_list. */
const HEADING_ATTRIBUTES_RE = /[ \t]*\{[#.][^}]*\}[ \t]*$/;

/** Quotes nested deeper than this are kept as text instead of being parsed further. */
const MAX_QUOTE_DEPTH = 32;

const CONTROL_RE = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g;

function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** Width of leading whitespace, tabs advancing to the next multiple of 4. */
function indentOf(line: string): number {
  let width = 0;
  for (const ch of line) {
    if (ch === ' ') width++;
    else if (ch === '\t') width += 4 - (width % 4);
    else break;
  }
  return width;
}

/** Remove up to `columns` of leading whitespace. */
function dedent(line: string, columns: number): string {
  let width = 0;
  let i = 0;
  while (i < line.length && width < columns) {
    const ch = line[i];
    if (ch === ' ') width++;
    else if (ch === '\t') width += 4 - (width % 4);
    else break;
    i++;
  }
  return line.slice(i);
}

function isFenceOpen(line: string): RegExpExecArray | null {
  const m = FENCE_OPEN_RE.exec(line);
  // A backtick fence's info string cannot contain backticks (else it is inline code).
  if (m === null || ((m[2] as string).startsWith('`') && (m[3] as string).includes('`'))) return null;
  return m;
}

function closesFence(line: string, fence: string): boolean {
  const m = FENCE_CLOSE_RE.exec(line);
  return m !== null && (m[1] as string)[0] === fence[0] && (m[1] as string).length >= fence.length;
}

// --- Inline markup -----------------------------------------------------------------------------

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™',
  hellip: '…', mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', times: '×',
  larr: '←', rarr: '→', deg: '°', middot: '·', laquo: '«', raquo: '»', para: '¶', sect: '§',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (match, name: string) => {
    if (name[0] === '#') {
      const hex = name[1] === 'x' || name[1] === 'X';
      const code = hex ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return NAMED_ENTITIES[name.toLowerCase()] ?? match;
  });
}

const LINK_TEXT = '((?:[^\\[\\]]|\\[[^\\[\\]]*\\])*)';
/** `(url)`, `(<url>)` or `(url "title")`; one level of balanced parentheses in the URL. */
const LINK_DESTINATION =
  '\\((?:<[^>\\n]*>|(?:[^()\\s]|\\([^()\\s]*\\))*)' + // the URL
  '(?:\\s+(?:"[^"]*"|\'[^\']*\'|\\([^()]*\\)))?\\s*\\)'; // an optional title
const IMAGE_RE = new RegExp(`!\\[${LINK_TEXT}\\]${LINK_DESTINATION}`, 'g');
const LINK_RE = new RegExp(`\\[${LINK_TEXT}\\]${LINK_DESTINATION}`, 'g');
const REFERENCE_LINK_RE = new RegExp(`!?\\[${LINK_TEXT}\\]\\[[^\\]]*\\]`, 'g');
const AUTOLINK_RE = /<((?:https?|ftp|mailto):[^\s<>]+)>/gi;
const HTML_TAG_RE = /<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?\/?>/g;
const CODE_SPAN_RE = /(`+)(?!`)([\s\S]*?[^`])\1(?!`)/g;
const PLACEHOLDER_RE = /\u0001(\d+)\u0002/g;

/**
 * Reduce one line of Markdown inline markup to its text: links and images to their text, emphasis
 * markers and HTML tags removed, escapes and entities resolved. Code spans are kept verbatim.
 */
function cleanInline(text: string): string {
  const kept: string[] = [];
  // Code spans and escaped characters are set aside first, so no later rule rewrites them.
  const keep = (value: string): string => `\u0001${kept.push(value) - 1}\u0002`;
  let s = text.replace(CODE_SPAN_RE, (_match, _ticks: string, body: string) => {
    const inner = body.length > 2 && body.startsWith(' ') && body.endsWith(' ') ? body.slice(1, -1) : body;
    return keep(inner);
  });
  s = s.replace(/\\([!-/:-@[-`{-~])/g, (_match, ch: string) => keep(ch));
  s = s
    .replace(IMAGE_RE, (_match, alt: string) => alt)
    .replace(LINK_RE, (_match, label: string) => label)
    .replace(REFERENCE_LINK_RE, (_match, label: string) => label)
    .replace(AUTOLINK_RE, (_match, url: string) => url)
    .replace(HTML_TAG_RE, '')
    // Bounded spans: an unclosed marker must not make every later one scan to the end of the line.
    .replace(/\*\*(?=\S)([\s\S]{0,500}?\S)\*\*/g, '$1')
    .replace(/(^|[^\p{L}\p{N}_])__(?=\S)([\s\S]{0,500}?\S)__(?![\p{L}\p{N}_])/gu, '$1$2')
    .replace(/~~(?=\S)([\s\S]{0,500}?\S)~~/g, '$1')
    .replace(/\*(?=[^\s*])([^*]*?[^\s*])\*/g, '$1')
    .replace(/\*(?=[^\s*])([^*\s])\*/g, '$1')
    .replace(/(^|[^\p{L}\p{N}_])_(?=[^\s_])([^_]*?[^\s_]|[^\s_])_(?![\p{L}\p{N}_])/gu, '$1$2');
  s = decodeEntities(s).replace(/\s+/g, ' ').trim();
  // Kept values may themselves hold placeholders (an escape is never inside a code span, but the
  // order of replacement does not matter): one pass restores everything.
  return s.replace(PLACEHOLDER_RE, (_match, i: string) => kept[Number(i)] ?? '');
}

/** Strip the emphasis and links of a multi-line text (hard line breaks kept). */
function cleanLines(text: string): string {
  return text
    .split('\n')
    .map(cleanInline)
    .filter((line) => line !== '')
    .join('\n');
}

/** Split a pipe-table row into cells, ignoring pipes that are escaped or inside code spans. */
function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  let ticks = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === '\\' && s[i + 1] === '|') {
      cell += '\\|';
      i++;
    } else if (ch === '`') {
      let run = 1;
      while (s[i + run] === '`') run++;
      if (ticks === 0) ticks = run;
      else if (ticks === run) ticks = 0;
      cell += '`'.repeat(run);
      i += run - 1;
    } else if (ch === '|' && ticks === 0) {
      cells.push(cell);
      cell = '';
    } else {
      cell += ch;
    }
  }
  cells.push(cell);
  return cells.map((c) => cleanInline(c));
}

// --- Front matter and comments -----------------------------------------------------------------

function unquoteYaml(value: string): string {
  const double = /^"((?:[^"\\]|\\.)*)"/.exec(value);
  if (double !== null) {
    try {
      return JSON.parse(`"${double[1] as string}"`) as string;
    } catch {
      return double[1] as string;
    }
  }
  const single = /^'((?:[^']|'')*)'/.exec(value);
  if (single !== null) return (single[1] as string).replace(/''/g, "'");
  return value.replace(/[ \t]+#.*$/, '');
}

/** `title:` of YAML front matter (or `title =` of TOML front matter). */
function frontMatterTitle(lines: string[]): string | undefined {
  for (let i = 0; i < lines.length; i++) {
    const m = /^title[ \t]*[:=][ \t]*(.*)$/.exec(lines[i] as string);
    if (m === null) continue;
    let value = (m[1] as string).trim();
    if (/^[|>][+-]?\d*$/.test(value)) {
      // A block scalar: the indented lines that follow.
      const parts: string[] = [];
      for (let j = i + 1; j < lines.length && (isBlank(lines[j] as string) || /^[ \t]/.test(lines[j] as string)); j++) {
        parts.push((lines[j] as string).trim());
      }
      value = parts.join(' ');
    } else {
      value = unquoteYaml(value);
    }
    const title = value.replace(/\s+/g, ' ').trim();
    return title || undefined;
  }
  return undefined;
}

/** Split off `---` YAML (or `+++` TOML) front matter. */
function splitFrontMatter(lines: string[]): { title: string | undefined; body: string[] } {
  const first = (lines[0] ?? '').trimEnd();
  if (first !== '---' && first !== '+++') return { title: undefined, body: lines };
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trimEnd();
    if (line === first || (first === '---' && line === '...')) {
      return { title: frontMatterTitle(lines.slice(1, i)), body: lines.slice(i + 1) };
    }
  }
  return { title: undefined, body: lines }; // no closing marker: a thematic break, not front matter
}

/** Remove HTML comments outside code fences. A line that held only a comment disappears. */
function stripComments(lines: string[]): string[] {
  const out: string[] = [];
  let fence: string | null = null;
  let inComment = false;
  for (const original of lines) {
    if (fence !== null) {
      out.push(original);
      if (closesFence(original, fence)) fence = null;
      continue;
    }
    let line = original;
    if (inComment) {
      const end = line.indexOf('-->');
      if (end < 0) continue;
      line = line.slice(end + 3);
      inComment = false;
    }
    for (;;) {
      const start = line.indexOf('<!--');
      if (start < 0) break;
      const end = line.indexOf('-->', start + 4);
      if (end < 0) {
        line = line.slice(0, start);
        inComment = true;
        break;
      }
      line = line.slice(0, start) + line.slice(end + 3);
    }
    if (line !== original && isBlank(line)) continue;
    const open = line === original ? isFenceOpen(line) : null;
    if (open !== null) fence = open[2] as string;
    out.push(line);
  }
  return out;
}

// --- Block structure ---------------------------------------------------------------------------

interface ListState {
  lines: string[];
  /** Marker indents of the open nesting levels. */
  indents: number[];
  /** A blank line was seen since the last item line. */
  blank: boolean;
}

class MarkdownParser {
  readonly blocks: Block[] = [];
  private headings: { level: number; text: string }[] = [];
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

  private push(kind: BlockKind, text: string, level?: number): void {
    if (!text) return;
    const block: Block = { kind, text, headingPath: this.path.slice() };
    if (level !== undefined) block.level = level;
    this.blocks.push(block);
  }

  private heading(level: number, raw: string): void {
    const text = cleanInline(raw.replace(HEADING_ATTRIBUTES_RE, ''));
    if (!text) return;
    if (this.inQuote) {
      this.push('paragraph', text);
      return;
    }
    while (this.headings.length > 0 && (this.headings[this.headings.length - 1] as { level: number }).level >= level) {
      this.headings.pop();
    }
    this.headings.push({ level, text });
    this.path = this.headings.map((h) => h.text);
    this.push('heading', text, level);
  }

  private code(lines: string[]): void {
    const first = lines.findIndex((line) => !isBlank(line));
    const text = first < 0 ? '' : lines.slice(first).join('\n').trimEnd();
    const last = this.blocks[this.blocks.length - 1];
    if (last !== undefined && last.kind === 'code' && last.text === text) return; // repeated tab
    this.push('code', text);
  }

  private isBlockStart(line: string): boolean {
    return (
      isFenceOpen(line) !== null ||
      ATX_RE.test(line) ||
      HR_RE.test(line) ||
      QUOTE_RE.test(line) ||
      ADMONITION_RE.test(line) ||
      TAB_RE.test(line) ||
      CONTAINER_MARKER_RE.test(line)
    );
  }

  /** Parse lines of Markdown (front matter and comments already removed). */
  parse(lines: string[]): void {
    let para: string[] = [];
    let list: ListState | null = null;
    let tabRunStart = -1;

    const flushParagraph = (): void => {
      if (para.length === 0) return;
      let text = '';
      para.forEach((raw, k) => {
        const hardBreak = / {2,}$|\\$/.test(raw);
        text += raw.replace(/(?: {2,}|\\)$/, '').trim();
        if (k < para.length - 1) text += hardBreak ? '\n' : ' ';
      });
      para = [];
      this.push('paragraph', cleanLines(text));
    };
    const flushList = (): void => {
      if (list === null) return;
      this.push('list', list.lines.join('\n'));
      list = null;
    };
    const addItem = (state: ListState, indent: number, raw: string): void => {
      const indents = state.indents;
      while (indents.length > 0 && indent < (indents[indents.length - 1] as number)) indents.pop();
      if (indents.length === 0 || indent > (indents[indents.length - 1] as number) + 1) indents.push(indent);
      const text = cleanInline(raw);
      if (text) state.lines.push(`${'  '.repeat(indents.length - 1)}- ${text}`);
      state.blank = false;
    };

    let i = 0;
    while (i < lines.length) {
      const line = lines[i] as string;
      if (isBlank(line)) {
        flushParagraph();
        if (list !== null) list.blank = true;
        i++;
        continue;
      }
      const isTab = TAB_RE.test(line);
      if (!isTab && indentOf(line) < 4) tabRunStart = -1;

      const item = LIST_RE.exec(line);
      const isItem = item !== null && !HR_RE.test(line);
      if (list !== null) {
        if (isItem) {
          addItem(list, indentOf(item[1] as string), item[4] ?? '');
          i++;
          continue;
        }
        const state: ListState = list;
        if (!this.isBlockStart(line) && (indentOf(line) >= 2 || !state.blank)) {
          // A continuation line (or a further paragraph) of the last item.
          const text = cleanInline(line);
          const last = state.lines.length - 1;
          if (text && last >= 0) state.lines[last] += ` ${text}`;
          else if (text) state.lines.push(`- ${text}`);
          i++;
          continue;
        }
        flushList();
      }

      const fence = isFenceOpen(line);
      if (fence !== null) {
        flushParagraph();
        const indent = indentOf(fence[1] as string);
        const marker = fence[2] as string;
        const body: string[] = [];
        let j = i + 1;
        while (j < lines.length && !closesFence(lines[j] as string, marker)) {
          body.push(dedent(lines[j++] as string, indent));
        }
        this.code(body);
        i = j + 1;
        continue;
      }

      const atx = ATX_RE.exec(line);
      if (atx !== null) {
        flushParagraph();
        const raw = (atx[2] ?? '').replace(/(?:^|[ \t]+)#+$/, '');
        this.heading((atx[1] as string).length, raw);
        i++;
        continue;
      }

      const setext = SETEXT_RE.exec(line);
      if (setext !== null && para.length > 0) {
        const raw = para.map((l) => l.trim()).join(' ');
        para = [];
        this.heading((setext[1] as string)[0] === '=' ? 1 : 2, raw);
        i++;
        continue;
      }

      if (HR_RE.test(line)) {
        flushParagraph();
        i++;
        continue;
      }

      if (QUOTE_RE.test(line)) {
        flushParagraph();
        const inner: string[] = [];
        let j = i;
        while (j < lines.length) {
          const current = lines[j] as string;
          if (QUOTE_RE.test(current)) inner.push(current.replace(QUOTE_RE, ''));
          else if (!isBlank(current) && !this.isBlockStart(current) && !isBlank(inner[inner.length - 1] ?? '')) {
            inner.push(current); // lazy continuation of a quoted paragraph
          } else break;
          j++;
        }
        this.quote(inner);
        i = j;
        continue;
      }

      const next = lines[i + 1];
      if (line.includes('|') && next !== undefined && next.includes('|') && TABLE_DELIMITER_RE.test(next)) {
        flushParagraph();
        const rows = [splitRow(line)];
        let j = i + 2;
        for (; j < lines.length; j++) {
          const row = lines[j] as string;
          if (isBlank(row) || !row.includes('|') || this.isBlockStart(row)) break;
          rows.push(splitRow(row));
        }
        const text = rows
          .map((cells) => {
            while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
            return cells.join(' | ');
          })
          .filter((row) => row.replace(/[ |]/g, '') !== '')
          .join('\n');
        this.push('table', text);
        i = j;
        continue;
      }

      if (isItem) {
        // Only an item numbered 1 (or a bullet) with text may interrupt a paragraph (CommonMark).
        const number = item[3];
        const interrupts = item[4] !== undefined && (number === undefined || Number(number) === 1);
        if (para.length === 0 || interrupts) {
          flushParagraph();
          list = { lines: [], indents: [], blank: false };
          addItem(list, indentOf(item[1] as string), item[4] ?? '');
          i++;
          continue;
        }
      }

      if (indentOf(line) >= 4 && para.length === 0) {
        // Indented code, unless it is the body of an admonition or tab (handled where they start).
        const body: string[] = [];
        let j = i;
        while (j < lines.length && (isBlank(lines[j] as string) || indentOf(lines[j] as string) >= 4)) {
          body.push(dedent(lines[j++] as string, 4));
        }
        this.code(body);
        i = j;
        continue;
      }

      const admonition = ADMONITION_RE.exec(line);
      if (admonition !== null || isTab) {
        flushParagraph();
        if (admonition !== null) {
          const kind = admonition[1] as string;
          const title = admonition[2] ?? kind.charAt(0).toUpperCase() + kind.slice(1);
          this.push('paragraph', cleanInline(title));
        } else if (tabRunStart < 0) {
          tabRunStart = this.blocks.length;
        }
        const body: string[] = [];
        let j = i + 1;
        while (j < lines.length && (isBlank(lines[j] as string) || indentOf(lines[j] as string) >= 4)) {
          body.push(dedent(lines[j++] as string, 4));
        }
        this.parse(body);
        if (isTab) this.dedupeSince(tabRunStart);
        i = j;
        continue;
      }

      if (CONTAINER_MARKER_RE.test(line)) {
        flushParagraph();
        i++;
        continue;
      }

      if (para.length === 0 && LINK_DEFINITION_RE.test(line)) {
        i++;
        continue;
      }

      para.push(line);
      i++;
    }
    flushParagraph();
    flushList();
  }

  private quote(lines: string[]): void {
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

  /** Drop blocks repeated within a tab set (each tab showing the same snippet for another OS...). */
  private dedupeSince(start: number): void {
    dedupeBlocksFrom(this.blocks, start);
  }
}

/**
 * Extract the title and blocks of a Markdown document.
 *
 * @param markdown - The decoded document.
 * @returns The front matter `title` (else the first level-1 heading) and the blocks. Never throws.
 */
export function extractMarkdown(markdown: string): ExtractorResult {
  const text = markdown.replace(/^\ufeff/, '').replace(/\r\n?/g, '\n').replace(CONTROL_RE, '');
  const { title: declared, body } = splitFrontMatter(text.split('\n'));
  const parser = new MarkdownParser(false);
  parser.parse(stripComments(body));
  const firstH1 = parser.blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text;
  return { title: declared ?? firstH1, blocks: parser.blocks };
}
