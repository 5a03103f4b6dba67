/**
 * Minutes rendered for people and programs: Markdown, JSON and Word (DOCX, laid out as the OpenAI
 * meeting-minutes tutorial's document — a title, then a heading per section).
 */
import type { Paragraph } from 'docx';
import type { ActionItem, Minutes } from './minutes.js';
import { formatClock, type Transcript } from './transcript.js';

/** A meeting with its minutes: what every renderer takes. */
export interface MeetingRecord {
  title: string;
  /** The input: a file path or URL. */
  source: string;
  transcript: Transcript;
  minutes: Minutes;
  /** What wrote the minutes, e.g. `openai/gpt-4o-mini` or `local/extractive-minutes-v1`. */
  generator: string;
  /** When the minutes were written. */
  createdAt: Date;
}

let docx: Promise<typeof import('docx')> | undefined;

const SECTIONS = ['Abstract Summary', 'Key Points', 'Decisions', 'Action Items', 'Sentiment'] as const;

function actionLine(a: ActionItem): string {
  const details = [a.owner ? `owner: ${a.owner}` : 'owner: not stated', a.due_date ? `due: ${a.due_date}` : undefined, a.timestamp ? `at ${a.timestamp}` : undefined].filter(Boolean);
  return `${a.task} (${details.join('; ')})`;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function lines(record: MeetingRecord): Record<(typeof SECTIONS)[number], string[]> {
  const m = record.minutes;
  return {
    'Abstract Summary': [m.abstract_summary || 'None.'],
    'Key Points': m.key_points,
    Decisions: m.decisions,
    'Action Items': m.action_items.map(actionLine),
    Sentiment: [`${capitalise(m.sentiment.label)}. ${m.sentiment.explanation}`.trim()],
  };
}

function subtitle(record: MeetingRecord): string {
  const t = record.transcript;
  return `${formatClock(t.duration)}${t.timing === 'estimated' ? ' (estimated)' : ''} · ${t.segments.length} segments · minutes by ${record.generator}`;
}

/** Markdown: a title, then a `##` heading per section, lists for the list sections. */
export function minutesMarkdown(record: MeetingRecord): string {
  const out = [`# ${record.title}`, '', `_${subtitle(record)}_`, ''];
  for (const [section, items] of Object.entries(lines(record))) {
    out.push(`## ${section}`, '');
    if (section === 'Abstract Summary' || section === 'Sentiment') out.push(items[0]!, '');
    else if (items.length === 0) out.push('None.', '');
    else out.push(...items.map((i) => `- ${i}`), '');
  }
  return out.join('\n');
}

/**
 * JSON: the minutes' fields at the top level (`abstract_summary`, `key_points`, `decisions`,
 * `action_items`, `sentiment`), the meeting's details, and the transcript's `segments` with
 * `start` and `end` in seconds.
 */
export function minutesJson(record: MeetingRecord): string {
  return `${JSON.stringify(
    {
      title: record.title,
      source: record.source,
      created_at: record.createdAt.toISOString(),
      generator: record.generator,
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
 * Word: the tutorial's document — the title, then a heading and its paragraphs per section. The
 * `docx` library is loaded (once) with the first document, not with the module.
 */
export async function minutesDocx(record: MeetingRecord): Promise<Buffer> {
  const { Document, HeadingLevel, Packer, Paragraph, TextRun } = await (docx ??= import('docx'));
  const children: Paragraph[] = [
    new Paragraph({ text: record.title, heading: HeadingLevel.TITLE }),
    new Paragraph({ children: [new TextRun({ text: subtitle(record), italics: true })] }),
  ];
  for (const [section, items] of Object.entries(lines(record))) {
    children.push(new Paragraph({ text: section, heading: HeadingLevel.HEADING_1 }));
    if (section === 'Abstract Summary' || section === 'Sentiment') children.push(new Paragraph({ text: items[0]! }));
    else if (items.length === 0) children.push(new Paragraph({ text: 'None.' }));
    else for (const item of items) children.push(new Paragraph({ text: item, bullet: { level: 0 } }));
  }
  const doc = new Document({ creator: 'ragline', title: record.title, sections: [{ children }] });
  return Packer.toBuffer(doc);
}
