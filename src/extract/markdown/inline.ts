/**
 * Markdown inline markup reduced to the text a reader sees: `[text](url)` -> `text`, `**bold**` ->
 * `bold`, HTML tags dropped, escapes and entities resolved; code spans kept verbatim.
 */

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
export function cleanInline(text: string): string {
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
export function cleanLines(text: string): string {
  return text
    .split('\n')
    .map(cleanInline)
    .filter((line) => line !== '')
    .join('\n');
}
