/**
 * Word analysis shared by the offline `local` models: lower-cased words, English stop words
 * removed, a light suffix-stripping stemmer so "throttling" and "throttle" meet.
 */

const STOP_WORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing down during each few for from further had has have ' +
    'having he her here hers herself him himself his how i if in into is it its itself just me more most ' +
    'my myself no nor not now of off on once only or other our ours ourselves out over own same she should ' +
    'so some such than that the their theirs them themselves then there these they this those through to ' +
    'too under until up very was we were what when where which while who whom why will with would you your ' +
    'yours yourself yourselves also may might must shall use using used get got make want need one way'
  ).split(' '),
);

const WORD = /[\p{L}\p{N}][\p{L}\p{N}_'’-]*/gu;

/** Reduce a lower-case word to a crude stem; good enough to match inflections, never used for display. */
export function stem(word: string): string {
  let w = word.replace(/['’]s$/, '').replace(/['’]/g, '');
  if (w.length <= 3 || /\d/.test(w)) return w;
  for (const [suffix, keep] of [
    ['ations', 4], ['ation', 4], ['ings', 3], ['ing', 3], ['edly', 3], ['ied', 3], ['ies', 3], ['ed', 3],
    ['ers', 3], ['er', 4], ['ly', 3], ['es', 3], ['s', 3],
  ] as const) {
    if (w.endsWith(suffix) && w.length - suffix.length >= keep) {
      w = w.slice(0, -suffix.length);
      if (suffix === 'ies' || suffix === 'ied') w += 'y';
      break;
    }
  }
  // "throttl" (throttling) and "throttle" must meet: drop a final e, undouble a final consonant.
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  if (w.length > 4 && w.at(-1) === w.at(-2) && !/[aeiou]/.test(w.at(-1) ?? '')) w = w.slice(0, -1);
  return w;
}

/** Content terms of a text, in order: stemmed words without stop words. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const word = match[0];
    if (STOP_WORDS.has(word)) continue;
    const s = stem(word);
    if (s.length > 0) out.push(s);
  }
  return out;
}
