/**
 * Keyword-search vectors, computed by ragline rather than by the server's `to_tsvector`.
 *
 * Postgres's text-search parser costs about 120–360 µs for a 300-word chunk — more than the rest
 * of a chunk's binary COPY — and the database server is the one machine every ingestion worker
 * shares. So the workers analyse the text — lower-cased words, the stop words of Postgres's
 * `english` configuration dropped, the rest reduced by the Porter2 (Snowball English) stemmer that
 * configuration uses, so plain words get the lexemes `to_tsvector('english', ...)` would give — and
 * send a finished `tsvector`: in binary inside the COPY stream (`store/encode-tsvector.ts`), or as
 * text on the embedded database. Questions are analysed by the same code into a `tsquery`, so
 * documents and questions always meet on the same terms, on both databases.
 *
 * Text analysis, not storage: the chunk stage, the store and search all use it, so it sits in the
 * base layer with the data types (`Chunk.keywords`).
 *
 * Compound tokens — `rest_framework.throttling`, `real-time`, `v1.2` — are indexed by their words.
 * (Indexing them whole as well was tried: it lowered hit@1 on the lmfit documentation from 60% to
 * 52% in `npm run eval`, matching identifiers a question only mentions in passing.)
 */
import { stem } from 'porter2';

/** The stop words of Postgres's `english` text-search configuration (Snowball's English list). */
const STOP_WORDS = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself ' +
    'it its itself they them their theirs themselves what which who whom this that these those am is are was were be ' +
    'been being have has had having do does did doing a an the and but if or because as until while of at by for with ' +
    'about against between into through during before after above below to from up down in out on off over under again ' +
    'further then once here there when where why how all any both each few more most other some such no nor not only own ' +
    'same so than too very s t can will just don should now'
  ).split(' '),
);

/** One lexeme of a tsvector with its positions (1-based) and weight per position. */
export interface KeywordEntry {
  lexeme: string;
  /** Each position packed as Postgres's WordEntryPos: weight in the top 2 bits, position below. */
  positions: number[];
}

/** Weights of tsvector positions: A counts most in `ts_rank_cd`, D least. */
export type KeywordWeight = 'A' | 'B' | 'C' | 'D';

const WEIGHT_BITS: Record<KeywordWeight, number> = { A: 3, B: 2, C: 1, D: 0 };
const WEIGHT_LETTER = ['', 'C', 'B', 'A'] as const;
/** Postgres keeps positions up to 16383 and at most 256 of them per lexeme. */
const MAX_POSITION = 16_383;
const MAX_POSITIONS = 256;
/** Longer tokens (base64 blobs, minified code) would only bloat the index. */
const MAX_TOKEN_LENGTH = 100;

/**
 * Stems of words seen lately ('' for a stop word): a text repeats its words, and a corpus its
 * vocabulary, so most words are looked up, not stemmed. Emptied when it grows past a bound.
 */
const stems = new Map<string, string>();
const MAX_CACHED_STEMS = 100_000;

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** Whether the code point at `i` of `s` is a letter or digit; ASCII without a regular expression. */
function isWordAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90);
  return LETTER_OR_DIGIT.test(String.fromCodePoint(s.codePointAt(i)!));
}

/** The search terms of a text, in order: words lower-cased, stop words dropped, the rest stemmed. */
export function keywordTerms(text: string): string[] {
  const out: string[] = [];
  forEachTerm(text, (term) => out.push(term));
  return out;
}

function forEachTerm(text: string, fn: (term: string) => void): void {
  const lower = text.toLowerCase();
  const n = lower.length;
  let i = 0;
  while (i < n) {
    if (!isWordAt(lower, i)) {
      i++;
      continue;
    }
    // A word: letters and digits, with inner apostrophes (`don't`, `o'brien's`).
    const start = i;
    for (;;) {
      if (i < n && isWordAt(lower, i)) i += lower.charCodeAt(i) >= 0xd800 && lower.charCodeAt(i) < 0xdc00 ? 2 : 1;
      else if (i + 1 < n && (lower.charCodeAt(i) === 39 || lower.charCodeAt(i) === 0x2019) && isWordAt(lower, i + 1)) i++;
      else break;
    }
    const word = lower.slice(start, i);
    let stemmed = stems.get(word);
    if (stemmed === undefined) {
      stemmed = word.length > MAX_TOKEN_LENGTH || STOP_WORDS.has(word) ? '' : stem(word);
      if (stems.size >= MAX_CACHED_STEMS) stems.clear();
      stems.set(word, stemmed);
    }
    if (stemmed.length > 0) fn(stemmed);
  }
}

/**
 * The keyword vector of texts weighted in order, as `setweight(to_tsvector(a), 'A') ||
 * setweight(to_tsvector(b), 'B')` would build it: positions run on from one text to the next.
 * Entries come sorted as Postgres stores them (by the lexeme's bytes).
 */
export function keywordVector(sections: ReadonlyArray<{ text: string; weight: KeywordWeight }>): KeywordEntry[] {
  const byLexeme = new Map<string, number[]>();
  let position = 0;
  for (const { text, weight } of sections) {
    const bits = WEIGHT_BITS[weight] << 14;
    forEachTerm(text, (term) => {
      const at = ++position < MAX_POSITION ? position : MAX_POSITION;
      const list = byLexeme.get(term);
      if (list === undefined) byLexeme.set(term, [bits | at]);
      // Positions strictly increase per lexeme: past the cap, the capped one is kept once.
      else if (list.length < MAX_POSITIONS && (at < MAX_POSITION || (list[list.length - 1]! & 0x3fff) < MAX_POSITION)) list.push(bits | at);
    });
  }
  const entries = [...byLexeme].map(([lexeme, positions]) => ({ lexeme, positions }));
  // Postgres orders lexemes by their UTF-8 bytes. UTF-16 order is the same but for characters
  // beyond the Basic Multilingual Plane (surrogates), which are compared as bytes.
  if (entries.some((e) => /[\ud800-\udfff]/.test(e.lexeme))) {
    entries.sort((a, b) => Buffer.compare(Buffer.from(a.lexeme, 'utf8'), Buffer.from(b.lexeme, 'utf8')));
  } else entries.sort((a, b) => (a.lexeme < b.lexeme ? -1 : a.lexeme > b.lexeme ? 1 : 0));
  return entries;
}

/** The keyword vector of a chunk: its page title and heading path weigh A, its text B. */
export function chunkKeywords(title: string, headingPath: readonly string[], text: string): KeywordEntry[] {
  return keywordVector([
    { text: [title, ...headingPath].join(' '), weight: 'A' },
    { text, weight: 'B' },
  ]);
}

const quoteLexeme = (lexeme: string) => `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

/** The text form of a tsvector (`'lexeme':1A,4B ...`), for databases written without COPY. */
export function tsvectorText(entries: readonly KeywordEntry[]): string {
  return entries
    .map((e) => `${quoteLexeme(e.lexeme)}:${e.positions.map((p) => `${p & 0x3fff}${WEIGHT_LETTER[p >> 14]}`).join(',')}`)
    .join(' ');
}

/**
 * A tsquery (text form) matching any of a question's terms, analysed like the stored chunks; empty
 * when the question has no searchable word. Cast it with `::tsquery`, not `to_tsquery`, which would
 * analyse it a second time.
 */
export function keywordQuery(question: string): string {
  const terms = new Set(keywordTerms(question));
  return [...terms].map(quoteLexeme).join(' | ');
}
