/**
 * Minutes laid out as blocks — headings, paragraphs, lists and tables of text runs, some of them
 * links to a moment of the transcript — by the template's layout. Markdown, HTML and DOCX are each
 * a serialisation of the same blocks, so they always hold the same content.
 */
import type { LayoutSection } from './template-layout.js';
import { deriveLayout, titleOf } from './template-layout.js';
import type { Minutes } from './minutes.js';
import { formatClock, parseClock, type Transcript, type TranscriptSegment } from './transcript.js';
import { speakerTurns } from './transcript-turns.js';

/** A piece of text; with `anchor`, a link to the transcript turn of that id. */
export interface Run {
  text: string;
  anchor?: string;
}

/** One block of the rendered minutes. */
export type Block =
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; runs: Run[]; anchor?: string }
  | { kind: 'list'; items: Run[][] }
  | { kind: 'table'; header: string[]; rows: Run[][][] };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The id of the transcript anchor at `seconds`: `t-00-13-49`. */
export const anchorId = (seconds: number) => `t-${formatClock(seconds).replace(/:/g, '-')}`;

/** The transcript in turns, each with the anchor its minutes items link to. */
export function transcriptTurns(transcript: Transcript): Array<TranscriptSegment & { anchor: string }> {
  const seen = new Set<string>();
  return speakerTurns(transcript.segments).map((t) => {
    let anchor = anchorId(t.start);
    while (seen.has(anchor)) anchor += '-';
    seen.add(anchor);
    return { ...t, anchor };
  });
}

/** Links `hh:mm:ss` to the turn it falls in. */
function linker(turns: ReadonlyArray<{ start: number; anchor: string }>): (clock: string) => Run {
  return (clock) => {
    const t = parseClock(clock);
    if (t === undefined || turns.length === 0) return { text: clock };
    let best = turns[0]!;
    for (const turn of turns) if (Math.floor(turn.start) <= t) best = turn;
    return { text: clock, anchor: best.anchor };
  };
}

const TIME_FIELDS = new Set(['timestamp', 'adjourned_at']);

/** A tally as words: `6 yes, 0 no, 2 absent`; a voice vote (nothing counted) as "not counted". */
function tallyText(v: Record<string, unknown>): string {
  const parts = Object.entries(v)
    .filter(([, n]) => typeof n === 'number')
    .map(([k, n]) => `${n as number} ${k}`);
  return parts.length ? parts.join(', ') : 'not counted';
}

/** A value as runs: times linked, nulls as a dash, lists joined, objects as their values. */
function runsOf(value: unknown, field: string, link: (clock: string) => Run): Run[] {
  if (value === null || value === undefined || value === '') return [{ text: '—' }];
  if (TIME_FIELDS.has(field) && typeof value === 'string') return [link(value)];
  if (Array.isArray(value)) return [{ text: value.length ? value.map((v) => (isRecord(v) ? Object.values(v).filter((x) => x !== null).join(' — ') : String(v))).join(', ') : '—' }];
  if (isRecord(value)) {
    if (field === 'tally') return [{ text: tallyText(value) }];
    return [{ text: Object.values(value).filter((x) => x !== null && x !== '').join(' — ') || '—' }];
  }
  return [{ text: String(value) }];
}

/** The layout a record's minutes are shown by: the template's, else derived from the minutes' own fields. */
function layoutOf(minutes: Minutes, layout: readonly LayoutSection[] | undefined): readonly LayoutSection[] {
  if (layout) return layout;
  const schema = {
    properties: Object.fromEntries(
      Object.entries(minutes).map(([k, v]) => [k, Array.isArray(v) ? { type: 'array', items: { type: isRecord(v[0]) ? 'object' : 'string', properties: isRecord(v[0]) ? v[0] : undefined } } : { type: isRecord(v) ? 'object' : 'string' }]),
    ),
  };
  return deriveLayout(schema);
}

/** The blocks of one section. */
function sectionBlocks(section: LayoutSection, value: unknown, link: (clock: string) => Run): Block[] {
  const blocks: Block[] = [{ kind: 'heading', text: section.title }];
  const none: Block = { kind: 'paragraph', runs: [{ text: 'None.' }] };
  if (section.as === 'table' && Array.isArray(value)) {
    if (value.length === 0) return [...blocks, none];
    const columns = section.columns ?? Object.keys(isRecord(value[0]) ? value[0] : {}).map((f) => ({ field: f, title: titleOf(f) }));
    blocks.push({ kind: 'table', header: columns.map((c) => c.title), rows: value.map((item) => columns.map((c) => runsOf(isRecord(item) ? item[c.field] : item, c.field, link))) });
  } else if (section.as === 'list' || (section.as === 'table' && !Array.isArray(value))) {
    const items = Array.isArray(value) ? value : value === null || value === undefined ? [] : [value];
    if (items.length === 0) return [...blocks, none];
    blocks.push({ kind: 'list', items: items.map((v) => runsOf(v, section.field, link)) });
  } else if (section.as === 'fields' && isRecord(value)) {
    blocks.push({ kind: 'list', items: Object.entries(value).map(([k, v]) => [{ text: `${titleOf(k)}: ` }, ...runsOf(v, k, link)]) });
  } else {
    const runs = runsOf(value, section.field, link);
    blocks.push(runs.length === 1 && runs[0]!.text === '—' ? none : { kind: 'paragraph', runs });
  }
  return blocks;
}

/** The minutes' blocks, section after section by the layout, then the transcript in turns with anchors. */
export function minutesBlocks(minutes: Minutes, transcript: Transcript, layout?: readonly LayoutSection[]): Block[] {
  const turns = transcriptTurns(transcript);
  const link = linker(turns);
  const blocks = layoutOf(minutes, layout).flatMap((section) => sectionBlocks(section, minutes[section.field], link));
  blocks.push({ kind: 'heading', text: 'Transcript' });
  for (const t of turns) {
    const label = t.speaker ? `${t.speaker}: ` : t.speakerChange ? '>> ' : '';
    blocks.push({ kind: 'paragraph', anchor: t.anchor, runs: [{ text: `[${formatClock(t.start)}] ` }, { text: `${label}${t.text}` }] });
  }
  return blocks;
}
