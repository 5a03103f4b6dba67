/**
 * The plain data that flows between stages. Stages are async generators over these types, so any
 * stage can be replaced by user code that yields the same shapes.
 */
import type { KeywordEntry } from './text/keywords.js';

/** A fetched web page or a read file, before extraction. */
export interface SourceDocument {
  /** Normalised absolute URL: `http(s)://...` for pages, `file://...` for files. */
  url: string;
  /** Media type without parameters, lower case: `text/html`, `text/markdown`, `text/plain`. */
  contentType: string;
  /**
   * The body: decoded text for text formats (HTML, Markdown, plain text), the raw bytes for binary
   * formats (a registered format with `body: 'bytes'`). Bytes given for a text format are decoded
   * by the extract stage (charset from a BOM, a `charset` parameter of `contentType` or an HTML
   * `<meta>` tag, else UTF-8).
   */
  body: string | Uint8Array;
  /** When the body was fetched or read. */
  fetchedAt: Date;
  /** HTTP status of the final response (200 for files). */
  status?: number;
  /** Link distance from the start URL (0 for the start page and for files). */
  depth?: number;
}

/** Kinds of block an extractor emits, in document order. */
export type BlockKind = 'heading' | 'paragraph' | 'list' | 'code' | 'table' | 'quote';

/** One readable unit of a document's main content. */
export interface Block {
  kind: BlockKind;
  /**
   * Readable text. Code keeps its line breaks and indentation; table rows are lines whose cells
   * are separated by whitespace (` | `); list items are lines starting with `- `.
   */
  text: string;
  /** Headings enclosing this block, outermost first (a heading's own path includes itself). */
  headingPath: string[];
  /** Heading level 1-6, for `heading` blocks only. */
  level?: number;
  /**
   * 1-based page of a paged document (PDF) the block is on. The chunk stage gives a chunk the page
   * of its first block: its URL becomes `url#page=N` and its metadata `{ page: N }`.
   */
  page?: number;
}

/** A document reduced to its main content. */
export interface ExtractedDocument {
  url: string;
  /** Page title (`<title>`, else the first `h1`, else the file name). */
  title: string;
  contentType: string;
  fetchedAt: Date;
  /** Main content in document order. Empty when the page has no readable content. */
  blocks: Block[];
  /**
   * sha256 (hex) of the extracted text — of the file's bytes for a binary format (PDF, Word): equal
   * hashes mean nothing to re-chunk or re-embed.
   */
  contentHash: string;
}

/** A token-bounded passage of a document, the unit that is embedded and retrieved. */
export interface Chunk {
  url: string;
  title: string;
  /** Position of the chunk within its document, from 0. */
  ordinal: number;
  /** The passage text as shown to users and to the chat model. */
  text: string;
  /** Headings enclosing the passage, outermost first. */
  headingPath: string[];
  /**
   * The text that is embedded: title and heading path, then the passage. It is what the token
   * bound applies to, so it never exceeds the embedding model's input limit.
   */
  embeddingInput: string;
  /** Tokens of `embeddingInput` in the embedding model's encoding. */
  tokenCount: number;
  /** sha256 (hex) of `embeddingInput`: the key of the embedding cache. */
  textHash: string;
  /** Free-form metadata stored as jsonb (speaker, timestamps, ...). */
  metadata: Record<string, unknown>;
  /**
   * The keyword-search vector of title, headings and text (`chunkKeywords`), worked out by the
   * chunk stage while the embedding requests are out; the store works it out when it is missing.
   */
  keywords?: KeywordEntry[];
}

/** A chunk with its vector. */
export interface EmbeddedChunk extends Chunk {
  embedding: Float32Array;
}

/** A document and its chunks, as produced by `chunk`. */
export interface ChunkedDocument {
  document: ExtractedDocument;
  chunks: Chunk[];
}

/** A document whose chunks all have vectors, as produced by `embed`. */
export interface EmbeddedDocument {
  document: ExtractedDocument;
  chunks: EmbeddedChunk[];
  /** Chunks whose vectors came from the store (same text, model and dimensions) and cost nothing. */
  cachedChunks: number;
  /** Tokens sent to the embedding API for this document. */
  embeddedTokens: number;
}
