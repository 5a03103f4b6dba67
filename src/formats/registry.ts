/**
 * The format registry: which format a file, a web response or a source document is, for the folder
 * reader, the crawler and the extract stage alike. HTML, Markdown, plain text, PDF and Word (.docx)
 * are registered from the start; `registerFormat` adds (or replaces) one. Formats registered later are asked first,
 * so a user's format can claim an extension or media type a built-in one has.
 */
import path from 'node:path';
import { ConfigError, describeValue } from '../errors.js';
import { htmlFormat, markdownFormat, textFormat } from './builtin-formats.js';
import { docxFormat, pdfFormat } from './document-formats.js';
import { SNIFF_BYTES, type Format, type FormatLookup, type FormatMissReason } from './format.js';

/** Registered formats, oldest first. */
const formats: Format[] = [];

/** Media types that say nothing about a body, so the URL's extension or the body's first bytes decide. */
const UNTYPED = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/** The lower-case media type of a `content-type` value, parameters (`; charset=utf-8`) dropped. */
function mediaTypeOf(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** Newest registration first. */
function find(test: (format: Format) => boolean): Format | undefined {
  for (let i = formats.length - 1; i >= 0; i--) if (test(formats[i] as Format)) return formats[i];
  return undefined;
}

function formatForExtension(extension: string): Format | undefined {
  const ext = extension.replace(/^\./, '').toLowerCase();
  return ext === '' ? undefined : find((f) => f.extensions.includes(ext));
}

function formatForMediaType(type: string): Format | undefined {
  return find((f) => f.mediaTypes.includes(type));
}

/**
 * Strings, lower-cased and trimmed (`withoutDot`: a leading dot removed), or a ConfigError;
 * `min` is how many there must be at least.
 */
function normalizedList(name: string, option: string, value: unknown, withoutDot: boolean, min: number): string[] {
  if (!Array.isArray(value) || value.length < min || value.some((v) => typeof v !== 'string' || v.trim() === '')) {
    const least = min > 0 ? `at least ${min} ` : '';
    throw new ConfigError(option, value, `Format ${name}: ${option} must be an array of ${least}non-empty strings, got ${describeValue(value)}.`);
  }
  return value.map((v: string) => (withoutDot ? v.trim().replace(/^\./, '') : v.trim()).toLowerCase());
}

/**
 * Add a format, or replace the registered format of the same name. From then on the folder reader
 * reads files with its extensions, and the extract stage reads documents of its media types with
 * its extractor; it is asked before the formats registered earlier.
 *
 * @param format - The format; extensions may be given with or without a dot, in any case.
 * @throws {ConfigError} When a field is missing or of the wrong type.
 * @example
 * ```ts
 * registerFormat({
 *   name: 'csv', extensions: ['csv'], mediaTypes: ['text/csv'], body: 'text',
 *   extract: (text) => ({ title: undefined, blocks: text.split('\n').map((row) => ({ kind: 'table', text: row, headingPath: [] })) }),
 * });
 * ```
 */
export function registerFormat(format: Format): void {
  if (format === null || typeof format !== 'object') {
    throw new ConfigError('format', format, `A format must be an object, got ${describeValue(format)}.`);
  }
  if (typeof format.name !== 'string' || format.name === '') {
    throw new ConfigError('name', format.name, `A format's name must be a non-empty string, got ${describeValue(format.name)}.`);
  }
  const body: unknown = format.body;
  if (body !== 'text' && body !== 'bytes') {
    throw new ConfigError('body', body, `Format ${format.name}: body must be 'text' or 'bytes', got ${describeValue(body)}.`);
  }
  const notFunction = (option: string, value: unknown) =>
    new ConfigError(option, value, `Format ${format.name}: ${option} must be a function, got ${describeValue(value)}.`);
  if (typeof format.extract !== 'function') throw notFunction('extract', format.extract);
  if (format.sniff !== undefined && typeof format.sniff !== 'function') throw notFunction('sniff', format.sniff);
  const entry = {
    ...format,
    extensions: normalizedList(format.name, 'extensions', format.extensions, true, 0),
    mediaTypes: normalizedList(format.name, 'mediaTypes', format.mediaTypes, false, 1),
  } as Format;
  const at = formats.findIndex((f) => f.name === entry.name);
  if (at >= 0) formats[at] = entry;
  else formats.push(entry);
}

/**
 * The format of a file, by its extension (case-insensitive); undefined when no format claims it.
 * The file is not read.
 */
export function formatForFile(file: string): Format | undefined {
  return formatForExtension(path.extname(file));
}

/**
 * The format that reads documents of a `content-type` (parameters and case ignored), as the extract
 * stage decides: the format listing the media type, else for other `text/*` types the format of
 * `text/plain`; undefined for other types.
 */
export function formatForContentType(contentType: string): Format | undefined {
  const type = mediaTypeOf(contentType);
  return formatForMediaType(type) ?? (type.startsWith('text/') ? formatForMediaType('text/plain') : undefined);
}

/** The format a body's first bytes are, for untyped responses. */
function sniffFormat(head: Uint8Array | string): Format | undefined {
  const bytes = typeof head === 'string' ? Buffer.from(head.slice(0, SNIFF_BYTES), 'utf8') : head;
  const sample = bytes.subarray(0, SNIFF_BYTES);
  return find((f) => f.sniff?.(sample) === true);
}

function urlExtension(url: string | URL): string {
  try {
    return path.posix.extname(new URL(url).pathname);
  } catch {
    return '';
  }
}

/**
 * The format of a web response, or none and why: the crawler's question.
 *
 * - A type a format lists is that format (`text/html; charset=utf-8` is HTML). Other types are
 *   `unsupported-type`, including `text/*` types no format lists (unlike {@link formatForContentType}).
 * - `text/plain` is what servers send for text files they do not know: when the URL's extension
 *   belongs to a text format (`.md`, `.html`), that format decides.
 * - An untyped response (no `content-type`, `application/octet-stream`) is the format of its URL's
 *   extension, else of its first bytes (`sniff`). Without `firstBytes` the answer is `needs-bytes`
 *   when some format could recognise the body, `unrecognised` otherwise.
 *
 * @param contentType - The `content-type` header ('' when there was none).
 * @param url - The response's final URL.
 * @param firstBytes - The start of the body (bytes, or text already decoded), for untyped responses.
 */
export function formatForResponse(contentType: string, url: string | URL, firstBytes?: Uint8Array | string): FormatLookup {
  const type = mediaTypeOf(contentType);
  const byExtension = formatForExtension(urlExtension(url));
  const miss = (reason: FormatMissReason, why: string): FormatLookup => ({
    format: undefined,
    reason,
    message: `${String(url)} is ${type || 'untyped'}: ${why}`,
  });
  if (type === 'text/plain' && byExtension?.body === 'text') return { format: byExtension };
  if (!UNTYPED.has(type)) {
    const format = formatForMediaType(type);
    return format !== undefined ? { format } : miss('unsupported-type', 'not a document type ragline reads.');
  }
  if (byExtension !== undefined) return { format: byExtension };
  if (firstBytes === undefined) {
    return formats.some((f) => f.sniff !== undefined)
      ? miss('needs-bytes', 'its first bytes tell whether it is a document.')
      : miss('unrecognised', 'no extension or content tells what it is.');
  }
  const sniffed = sniffFormat(firstBytes);
  return sniffed !== undefined ? { format: sniffed } : miss('unrecognised', 'its content is no document type ragline reads.');
}

/** The file extensions the registered formats claim (lower case, without the dot), oldest format first. */
export function supportedExtensions(): string[] {
  return [...new Set(formats.flatMap((f) => f.extensions))];
}

/** The media types the registered formats list, oldest format first. */
export function supportedMediaTypes(): string[] {
  return [...new Set(formats.flatMap((f) => f.mediaTypes))];
}

for (const format of [htmlFormat, markdownFormat, textFormat, pdfFormat, docxFormat]) registerFormat(format);
