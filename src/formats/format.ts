/**
 * A document format: how ragline recognises it (file extensions, media types, first bytes) and
 * how it reads it (its extractor). Formats live in one registry (`registry.ts`) that the folder
 * reader, the crawler and the extract stage all ask, so adding a format is one entry.
 */
import type { ExtractOptions, ExtractorResult } from '../extract/extractor.js';
import type { SourceDocument } from '../types.js';

interface FormatBase {
  /** Unique name (`html`, `markdown`, `pdf`). Registering a format under a taken name replaces that format. */
  name: string;
  /** File extensions, lower case, without the dot (`['html', 'htm']`). */
  extensions: readonly string[];
  /**
   * Media types, lower case, without parameters (`['text/html', 'application/xhtml+xml']`); at
   * least one. The first is the `contentType` the folder reader gives documents of this format,
   * and the extract stage finds the format again by it.
   */
  mediaTypes: readonly string[];
  /**
   * Whether the first bytes of a body whose media type and extension say nothing (no
   * `content-type`, `application/octet-stream`) are this format: magic bytes such as `%PDF-`.
   * It sees at most {@link SNIFF_BYTES} bytes.
   * @default undefined (never recognised from the body)
   */
  sniff?: (head: Uint8Array) => boolean;
}

/** A format read as text: its extractor gets the body decoded to a string. */
export interface TextFormat extends FormatBase {
  body: 'text';
  /**
   * Reduce a decoded document to its title and blocks. Should not throw on malformed input (return
   * no blocks instead); throw `ConfigError` for invalid options. May be async.
   * @param text the decoded body (a body given as bytes is decoded first, charset from `contentType`)
   */
  extract(text: string, doc: SourceDocument, options: ExtractOptions): ExtractorResult | Promise<ExtractorResult>;
}

/** A binary format (PDF, DOCX...): its extractor gets the raw bytes. */
export interface BytesFormat extends FormatBase {
  body: 'bytes';
  /**
   * The reader's version. A binary document's content hash is over its bytes (so an unchanged
   * file is not parsed again on a re-ingest) and this version: change it when the extractor reads
   * the same bytes differently, and every file is read again.
   * @default undefined
   */
  version?: string;
  /**
   * As {@link TextFormat.extract}, with the body's bytes. A file that cannot be read (corrupt,
   * encrypted, no text layer) throws `UnreadableDocumentError` with its reason: an ingest skips it,
   * counts it under that reason and lists it with its message.
   */
  extract(bytes: Uint8Array, doc: SourceDocument, options: ExtractOptions): ExtractorResult | Promise<ExtractorResult>;
}

export type Format = TextFormat | BytesFormat;

/** Bytes of a body that {@link FormatBase.sniff} sees at most. */
export const SNIFF_BYTES = 1024;

/** Why no format was found for a response. */
export type FormatMissReason =
  /** Its media type is one no format reads (`image/png`, `application/json`). */
  | 'unsupported-type'
  /** Untyped, and neither its URL's extension nor its first bytes name a format. */
  | 'unrecognised'
  /** Untyped and its URL has no known extension: ask again with the body's first bytes. */
  | 'needs-bytes';

/** The answer of `formatForResponse`: a format, or none and why. */
export type FormatLookup =
  | { format: Format; reason?: undefined; message?: undefined }
  | {
      format: undefined;
      reason: FormatMissReason;
      /** One line for logs, naming the content type and URL. */
      message: string;
    };
