import { createHash } from 'node:crypto';
import { checkInteger } from '../options/check.js';
import { CHUNK_DEFAULTS } from '../options/defaults.js';
import { chunkKeywords } from '../text/keywords.js';
import type { Block, Chunk, ChunkedDocument, ExtractedDocument } from '../types.js';
import { getTokenizer, type Tokenizer, type TokenizerEncoding } from '../models/tokenizer.js';

/** How to cut documents into chunks. */
export interface ChunkOptions {
  /**
   * Largest chunk, in tokens of `encoding`, counting the title and heading line embedded with it.
   * @default 500 (as in the OpenAI "Web Q&A" tutorial)
   */
  maxTokens?: number;
  /**
   * Tokens of the previous chunk repeated at the start of the next one within a section.
   * @default 0
   */
  overlapTokens?: number;
  /**
   * The embedding model's encoding: chunks are counted the way the model counts them.
   * @default 'cl100k_base'
   */
  encoding?: TokenizerEncoding;
  /**
   * The embedding model's input limit; `maxTokens` above it is lowered to it.
   * @default 8191
   */
  maxInputTokens?: number;
}

/**
 * A stable description of chunking settings: documents cut with other settings are cut again.
 * The version counts what is derived from the text at write time too — v2: keyword vectors are
 * analysed by ragline (text/keywords.ts), so documents stored before are re-cut on the next
 * ingest (their vectors come from the store's cache, at no API cost).
 */
export function chunkingFingerprint(options: ChunkOptions = {}): string {
  const o = resolve(options);
  return `v2;max=${o.maxTokens};overlap=${o.overlapTokens};enc=${o.encoding}`;
}

interface Resolved {
  maxTokens: number;
  overlapTokens: number;
  encoding: TokenizerEncoding;
}

function resolve(options: ChunkOptions): Resolved {
  // Above the model's input limit, chunks are cut at the limit.
  const limit = options.maxInputTokens ?? CHUNK_DEFAULTS.maxInputTokens;
  const maxTokens = Math.min(checkInteger('maxTokens', options.maxTokens ?? CHUNK_DEFAULTS.maxTokens, { min: 32 }), limit);
  const overlapTokens = checkInteger('overlapTokens', options.overlapTokens ?? CHUNK_DEFAULTS.overlapTokens, { min: 0, max: Math.floor(maxTokens / 2), why: 'half of `maxTokens`' });
  return { maxTokens, overlapTokens, encoding: options.encoding ?? CHUNK_DEFAULTS.encoding };
}

/** A piece of text that is never split further unless it alone exceeds the budget. */
interface Unit {
  text: string;
  tokens: number;
  /** How it joins the previous unit: a new block, or a continuation of the same block. */
  joiner: '\n\n' | ' ' | '\n';
  /** The page of its block, for paged documents. */
  page?: number;
}

interface Section {
  headingPath: string[];
  blocks: Block[];
}

function sections(blocks: readonly Block[]): Section[] {
  const out: Section[] = [];
  let current: Section = { headingPath: [], blocks: [] };
  for (const block of blocks) {
    if (block.kind === 'heading') {
      if (current.blocks.length > 0) out.push(current);
      current = { headingPath: block.headingPath, blocks: [] };
    } else if (block.text.trim().length > 0) {
      current.blocks.push(block);
    }
  }
  if (current.blocks.length > 0) out.push(current);
  return out;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** Split text that exceeds `budget` at the coarsest boundary that works: lines, sentences, words, tokens. */
function splitText(text: string, budget: number, tok: Tokenizer, lineOriented: boolean): Unit[] {
  const count = tok.count(text);
  if (count <= budget) return [{ text, tokens: count, joiner: ' ' }];
  const tryParts = (parts: string[], joiner: Unit['joiner']): Unit[] | undefined => {
    const clean = parts.filter((p) => p.trim().length > 0);
    if (clean.length < 2) return undefined;
    return clean.flatMap((p) => splitText(p, budget, tok, lineOriented).map((u, i) => (i === 0 ? { ...u, joiner } : u)));
  };
  if (lineOriented || text.includes('\n')) {
    const byLine = tryParts(text.split('\n'), '\n');
    if (byLine) return byLine;
  }
  const bySentence = tryParts([...segmenter.segment(text)].map((s) => s.segment.trim()), ' ');
  if (bySentence) return bySentence;
  const words = text.split(/(?<=\s)/);
  if (words.length > 1) {
    // Greedy word packing: never cuts inside a word.
    const out: Unit[] = [];
    let buf = '';
    for (const w of words) {
      if (buf && tok.count(buf + w) > budget) {
        out.push(...splitText(buf.trim(), budget, tok, false).map((u) => ({ ...u, joiner: ' ' as const })));
        buf = '';
      }
      buf += w;
    }
    if (buf.trim()) out.push(...splitText(buf.trim(), budget, tok, false).map((u) => ({ ...u, joiner: ' ' as const })));
    return out;
  }
  // One "word" longer than a chunk (a minified blob, a base64 string): cutting it is unavoidable.
  const ids = tok.encode(text);
  const out: Unit[] = [];
  for (let i = 0; i < ids.length; i += budget) {
    const piece = tok.decode(ids.slice(i, i + budget));
    out.push({ text: piece, tokens: tok.count(piece), joiner: ' ' });
  }
  return out;
}

function blockUnits(block: Block, budget: number, tok: Tokenizer): Unit[] {
  const lineOriented = block.kind === 'code' || block.kind === 'table' || block.kind === 'list';
  const units = splitText(block.text, budget, tok, lineOriented);
  if (units[0]) units[0] = { ...units[0], joiner: '\n\n' };
  return block.page === undefined ? units : units.map((u) => ({ ...u, page: block.page }));
}

function prefixFor(title: string, headingPath: readonly string[]): string {
  const path = headingPath.filter((h, i) => !(i === 0 && h === title));
  return path.length > 0 ? `${title}\n${path.join(' > ')}\n\n` : `${title}\n\n`;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Cut one document into token-bounded chunks: sections at headings, then blocks (paragraphs, code,
 * tables, lists), then sentences or lines, then words — never inside a word unless a single word is
 * longer than a chunk. Each chunk's embedding input (title and heading path, then the text) fits
 * `maxTokens` in the model's encoding. A chunk of a paged document (blocks with a `page`) has the
 * URL `url#page=N` and the metadata `{ page: N }`, N being the page of its first block.
 */
export function chunkDocument(doc: ExtractedDocument, options: ChunkOptions = {}): Chunk[] {
  const o = resolve(options);
  const tok = getTokenizer(o.encoding);
  const chunks: Chunk[] = [];
  for (const section of sections(doc.blocks)) {
    const prefix = sectionPrefix(doc.title, section.headingPath, o.maxTokens, tok);
    const budget = o.maxTokens - prefix.tokens;
    const units = section.blocks.flatMap((b) => blockUnits(b, budget, tok));
    const groups = packUnits(units, budget - o.overlapTokens);
    if (o.overlapTokens > 0) addOverlap(groups, o.overlapTokens, budget);
    for (const piece of fitGroups(groups, prefix.text, o.maxTokens, tok)) {
      chunks.push({
        url: piece.page === undefined ? doc.url : `${doc.url}#page=${piece.page}`,
        title: doc.title,
        ordinal: chunks.length,
        text: piece.text,
        headingPath: section.headingPath,
        embeddingInput: piece.input,
        tokenCount: piece.tokens,
        textHash: sha256(piece.input),
        metadata: piece.page === undefined ? {} : { page: piece.page },
      });
    }
  }
  return chunks;
}

/** The title and heading line embedded with each chunk of a section, and its token count. */
function sectionPrefix(title: string, headingPath: readonly string[], maxTokens: number, tok: Tokenizer): { text: string; tokens: number } {
  const text = prefixFor(title, headingPath);
  const tokens = tok.count(text);
  if (tokens <= maxTokens / 4) return { text, tokens };
  // Absurdly long titles or heading paths keep their head only; the text matters more.
  const head = tok.decode(tok.encode(text).slice(0, Math.floor(maxTokens / 4) - 2)) + '\n\n';
  return { text: head, tokens: tok.count(head) };
}

/**
 * Greedy packing by estimated count (each join costs about one token), leaving room for the
 * overlap that will be put in front (`budget` is what is left for a group's own units)...
 */
function packUnits(units: readonly Unit[], budget: number): Unit[][] {
  const groups: Unit[][] = [];
  let current: Unit[] = [];
  let estimate = 0;
  for (const unit of units) {
    if (current.length > 0 && estimate + unit.tokens + 1 > budget) {
      groups.push(current);
      current = [];
      estimate = 0;
    }
    current.push(unit);
    estimate += unit.tokens + 1;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** ...then overlap: each group after the first starts with whole trailing units of the one before. */
function addOverlap(groups: Unit[][], overlapTokens: number, budget: number): void {
  for (let g = groups.length - 1; g > 0; g--) {
    const own = groups[g]!.reduce((n, u) => n + u.tokens + 1, 0);
    const tail: Unit[] = [];
    let size = 0;
    const prev = groups[g - 1]!;
    for (let i = prev.length - 1; i >= 0; i--) {
      const u = prev[i]!;
      if (size + u.tokens + 1 > overlapTokens || own + size + u.tokens + 1 > budget) break;
      tail.unshift(u);
      size += u.tokens + 1;
    }
    groups[g] = [...tail, ...groups[g]!];
  }
}

/** A chunk's text, embedding input, its token count, and the page it starts on (paged documents). */
interface Piece {
  text: string;
  input: string;
  tokens: number;
  page?: number;
}

/**
 * ...then exact counts: token counts are not quite additive across joins, so a group that is
 * over by the exact count hands its last unit to the next group. Each group becomes a chunk's
 * text, its embedding input (`prefix` then the text) and the input's token count.
 */
function fitGroups(groups: Unit[][], prefix: string, maxTokens: number, tok: Tokenizer): Piece[] {
  const pieces: Piece[] = [];
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    for (;;) {
      let text = group.map((u, i) => (i === 0 ? u.text : u.joiner + u.text)).join('');
      let input = prefix + text;
      let count = tok.count(input);
      if (count > maxTokens && group.length === 1) {
        // A cut through a single over-long word can re-encode a token or two longer: trim it.
        const ids = tok.encode(text);
        text = tok.decode(ids.slice(0, Math.max(1, ids.length - (count - maxTokens) - 2)));
        input = prefix + text;
        count = tok.count(input);
      }
      if (count > maxTokens && group.length > 1) {
        const last = group.pop()!;
        if (g + 1 < groups.length) groups[g + 1]!.unshift(last);
        else groups.push([last]);
        continue;
      }
      const page = group[0]?.page;
      pieces.push(page === undefined ? { text, input, tokens: count } : { text, input, tokens: count, page });
      break;
    }
  }
  return pieces;
}

/**
 * The chunk stage: documents in, documents with their chunks out, each chunk with its keyword
 * vector — worked out here, while earlier documents' embedding requests are out, rather than on
 * the store's path to the database.
 */
export async function* chunk(source: AsyncIterable<ExtractedDocument>, options: ChunkOptions = {}): AsyncGenerator<ChunkedDocument> {
  resolve(options);
  for await (const document of source) {
    const chunks = chunkDocument(document, options).map((c) => ({ ...c, keywords: chunkKeywords(c.title, c.headingPath, c.text) }));
    yield { document, chunks };
  }
}
