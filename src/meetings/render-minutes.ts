/**
 * Minutes rendered for people and programs: Markdown, HTML and Word (DOCX) from the same blocks
 * (a heading per section of the template's layout; lists; tables for motions, action items and
 * every other list of records; the transcript in turns, each item's time a link to its turn), and
 * JSON of the minutes' fields.
 */
import type { Paragraph, ParagraphChild, Table } from 'docx';
import type { Minutes } from './minutes.js';
import type { LayoutSection } from './template-layout.js';
import { minutesBlocks, type Block, type Run } from './minutes-blocks.js';
import { formatClock, type Transcript } from './transcript.js';

/** A meeting with its minutes: what every renderer takes. */
export interface MeetingRecord {
  title: string;
  /** The input: a file path or URL. */
  source: string;
  transcript: Transcript;
  minutes: Minutes;
  /** The template's name (`council`, `standup`, ...). */
  template?: string;
  /** The sections shown, in order (the template's layout); derived from the minutes' fields when absent. */
  layout?: LayoutSection[];
  /** What wrote the minutes, e.g. `openai/gpt-4o-mini` or `local/extractive-minutes-v1`. */
  generator: string;
  /** When the minutes were written. */
  createdAt: Date;
}

let docx: Promise<typeof import('docx')> | undefined;

/**
 * The minutes' table style, a real Word table style a clerk can restyle once for every table: thin
 * grid borders, cell padding, a bold shaded header row.
 */
const TABLE_STYLE_ID = 'MinutesTable';
const BORDER = 'w:val="single" w:sz="4" w:space="0" w:color="808080"';
const TABLE_STYLE = `<w:style w:type="table" w:customStyle="1" w:styleId="${TABLE_STYLE_ID}"><w:name w:val="Minutes Table"/><w:basedOn w:val="TableNormal"/><w:uiPriority w:val="59"/><w:qFormat/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:tblPr><w:tblBorders><w:top ${BORDER}/><w:left ${BORDER}/><w:bottom ${BORDER}/><w:right ${BORDER}/><w:insideH ${BORDER}/><w:insideV ${BORDER}/></w:tblBorders><w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="100" w:type="dxa"/><w:bottom w:w="40" w:type="dxa"/><w:right w:w="100" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:bCs/></w:rPr><w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="D9D9D9"/></w:tcPr></w:tblStylePr></w:style>`;

function subtitle(record: MeetingRecord): string {
  const t = record.transcript;
  return `${formatClock(t.duration)}${t.timing === 'estimated' ? ' (estimated)' : ''} · ${t.segments.length} segments · ${record.template ? `${record.template} template · ` : ''}minutes by ${record.generator}`;
}

const blocksOf = (record: MeetingRecord) => minutesBlocks(record.minutes, record.transcript, record.layout);

const mdEscape = (s: string) => s.replace(/([\\`*_[\]<>|])/g, '\\$1');
const mdRuns = (runs: readonly Run[]) => runs.map((r) => (r.anchor ? `[${mdEscape(r.text)}](#${r.anchor})` : mdEscape(r.text))).join('');

/** Markdown: a title, then a `##` heading per section; lists, tables, and the transcript with anchors. */
export function minutesMarkdown(record: MeetingRecord): string {
  const out = [`# ${mdEscape(record.title)}`, '', `_${subtitle(record)}_`, ''];
  for (const b of blocksOf(record)) {
    if (b.kind === 'heading') out.push(`## ${b.text}`, '');
    else if (b.kind === 'paragraph') out.push(`${b.anchor ? `<a id="${b.anchor}"></a>` : ''}${mdRuns(b.runs)}`, '');
    else if (b.kind === 'list') out.push(...b.items.map((i) => `- ${mdRuns(i)}`), '');
    else {
      out.push(`| ${b.header.map(mdEscape).join(' | ')} |`, `|${b.header.map(() => ' --- |').join('')}`);
      for (const row of b.rows) out.push(`| ${row.map((cell) => mdRuns(cell).replace(/\n/g, ' ')).join(' | ')} |`);
      out.push('');
    }
  }
  return out.join('\n');
}

const htmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const htmlRuns = (runs: readonly Run[]) => runs.map((r) => (r.anchor ? `<a href="#${htmlEscape(r.anchor)}">${htmlEscape(r.text)}</a>` : htmlEscape(r.text))).join('');

/** HTML: the same content as the Markdown, as one standalone page; every text escaped. */
export function minutesHtml(record: MeetingRecord): string {
  const body: string[] = [`<h1>${htmlEscape(record.title)}</h1>`, `<p class="meta">${htmlEscape(subtitle(record))}</p>`];
  for (const b of blocksOf(record)) {
    if (b.kind === 'heading') body.push(`<h2>${htmlEscape(b.text)}</h2>`);
    else if (b.kind === 'paragraph') body.push(`<p${b.anchor ? ` id="${htmlEscape(b.anchor)}"` : ''}>${htmlRuns(b.runs)}</p>`);
    else if (b.kind === 'list') body.push(`<ul>${b.items.map((i) => `<li>${htmlRuns(i)}</li>`).join('')}</ul>`);
    else {
      const head = `<thead><tr>${b.header.map((h) => `<th scope="col">${htmlEscape(h)}</th>`).join('')}</tr></thead>`;
      body.push(`<table>${head}<tbody>${b.rows.map((r) => `<tr>${r.map((c) => `<td>${htmlRuns(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    }
  }
  const style = 'body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}table{border-collapse:collapse;width:100%}th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#eee}.meta{color:#555;font-style:italic}';
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${htmlEscape(record.title)}</title>\n<style>${style}</style>\n</head>\n<body>\n${body.join('\n')}\n</body>\n</html>\n`;
}

/**
 * JSON: the minutes' fields at the top level (those of the template's schema), the meeting's
 * details, and the transcript's `segments` with `start` and `end` in seconds.
 */
export function minutesJson(record: MeetingRecord): string {
  return `${JSON.stringify(
    {
      title: record.title,
      source: record.source,
      created_at: record.createdAt.toISOString(),
      generator: record.generator,
      ...(record.template ? { template: record.template } : {}),
      duration: record.transcript.duration,
      timing: record.transcript.timing,
      ...record.minutes,
      segments: record.transcript.segments,
    },
    null,
    2,
  )}\n`;
}

/**
 * Word: the title, then per section a Heading 1 and its paragraphs, bulleted lists or tables (a
 * repeated, shaded header row), then the transcript, each turn a bookmark the items' times link to.
 * The `docx` library is loaded (once) with the first document, not with the module.
 */
export async function minutesDocx(record: MeetingRecord): Promise<Buffer> {
  const d = await (docx ??= import('docx'));
  const { Document, HeadingLevel, Packer, Paragraph, TextRun, Table: DocxTable, TableRow, TableCell, WidthType, ShadingType, InternalHyperlink, Bookmark } = d;
  const runs = (rs: readonly Run[]): ParagraphChild[] =>
    rs.map((r) => (r.anchor ? new InternalHyperlink({ anchor: r.anchor, children: [new TextRun({ text: r.text, style: 'Hyperlink' })] }) : new TextRun(r.text)));
  const children: Array<Paragraph | Table> = [
    new Paragraph({ text: record.title, heading: HeadingLevel.TITLE }),
    new Paragraph({ children: [new TextRun({ text: subtitle(record), italics: true })] }),
  ];
  const cell = (content: ParagraphChild[], header = false) =>
    new TableCell({ children: [new Paragraph({ children: content })], ...(header ? { shading: { type: ShadingType.CLEAR, color: 'auto', fill: 'D9D9D9' } } : {}) });
  for (const b of blocksOf(record) as Block[]) {
    if (b.kind === 'heading') children.push(new Paragraph({ text: b.text, heading: HeadingLevel.HEADING_1 }));
    else if (b.kind === 'paragraph') children.push(new Paragraph({ children: b.anchor ? [new Bookmark({ id: b.anchor, children: runs(b.runs.slice(0, 1)) }), ...runs(b.runs.slice(1))] : runs(b.runs) }));
    else if (b.kind === 'list') for (const item of b.items) children.push(new Paragraph({ children: runs(item), bullet: { level: 0 } }));
    else {
      const header = new TableRow({ tableHeader: true, children: b.header.map((h) => cell([new TextRun({ text: h, bold: true })], true)) });
      children.push(new DocxTable({ style: TABLE_STYLE_ID, width: { size: 100, type: WidthType.PERCENTAGE }, rows: [header, ...b.rows.map((r) => new TableRow({ children: r.map((c) => cell(runs(c))) }))] }));
      children.push(new Paragraph({ text: '' }));
    }
  }
  const doc = new Document({
    creator: 'ragline',
    title: record.title,
    features: { updateFields: false },
    // External styles are added to the library's defaults (Title, Heading 1, List Paragraph, Hyperlink).
    externalStyles: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">${TABLE_STYLE}</w:styles>`,
    sections: [{ children }],
  });
  return Packer.toBuffer(doc);
}
