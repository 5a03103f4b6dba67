/**
 * Evaluation questions: a JSON Lines file, one `{"question", "urls": [...], "answer"?}` per line
 * (`urls` empty: no page answers it), and how a retrieved URL is matched to an expected one.
 */
import { InputError } from '../errors.js';

/** One evaluation question. */
export interface EvalQuestion {
  question: string;
  /** Pages that answer it (absolute URLs, or paths matched against the end of a URL's path); empty: none does. */
  urls: string[];
  /** A reference answer, shown in reports. */
  answer?: string;
  /** 1-based line of the file it came from. */
  line: number;
}

function lineError(source: string, line: number, what: string): InputError {
  return new InputError(source, `${source} line ${line}: ${what}. Each line must be {"question": "...", "urls": ["..."]} (urls empty when no page answers it), optionally with "answer".`);
}

/**
 * Parse a questions file. Blank lines and lines starting with `#` are skipped; any other line that
 * is not a question object is an `InputError` naming its line number.
 */
export function parseEvalQuestions(text: string, source = 'questions'): EvalQuestion[] {
  const questions: EvalQuestion[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      throw lineError(source, line, `not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw lineError(source, line, 'not a JSON object');
    const { question, urls, answer } = value as Record<string, unknown>;
    if (typeof question !== 'string' || question.trim() === '') throw lineError(source, line, '"question" is missing or not a non-empty string');
    if (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string' || u.trim() === '')) throw lineError(source, line, '"urls" is missing or not an array of non-empty strings');
    if (answer !== undefined && typeof answer !== 'string') throw lineError(source, line, '"answer" is not a string');
    questions.push({ question, urls: urls as string[], ...(answer !== undefined ? { answer } : {}), line });
  });
  if (questions.length === 0) throw new InputError(source, `${source} has no questions: write one JSON object per line, like {"question": "How do I retry?", "urls": ["https://example.com/retries/"]}.`);
  return questions;
}

/**
 * A page's key for matching: no fragment (`#page=3`) or query, `index.html` and a trailing slash
 * spelled one way, host lower-cased. Paths that are not absolute URLs are keyed the same way.
 */
export function pageKey(url: string): string {
  let host = '';
  let path = url;
  try {
    const u = new URL(url);
    host = u.host.toLowerCase();
    path = u.pathname;
  } catch {
    path = url.replace(/[?#].*$/, '');
  }
  path = decodeSafe(path).replace(/(^|\/)index\.html?$/i, '$1').replace(/\/+$/, '');
  return `${host}${path.startsWith('/') || path === '' ? '' : '/'}${path}`;
}

function decodeSafe(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}

/**
 * Whether a retrieved URL is the expected page: equal keys for absolute URLs; for a relative
 * expected path (`guide/retries/`, `fitting.html`), the retrieved path ends with it.
 */
export function samePage(retrieved: string, expected: string): boolean {
  const got = pageKey(retrieved);
  const want = pageKey(expected);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(expected)) return got === want;
  const rel = want.replace(/^\/+/, '');
  if (rel === '') return /^[^/]*$/.test(got);
  return got.endsWith(`/${rel}`);
}
