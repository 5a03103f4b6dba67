import type * as Encoding from 'gpt-tokenizer/encoding/cl100k_base';
import { lazyRequire } from '../lazy-require.js';

// Each encoding's tables take a few hundred ms to load: a process loads only those it counts in
// (an ingest needs the embedding model's, `ask` the chat model's). Synchronous, so counting stays so.

/** Tokenizer encodings ragline can count with. */
export type TokenizerEncoding = 'cl100k_base' | 'o200k_base';

/** Counting and cutting text in one encoding. */
export interface Tokenizer {
  readonly encoding: TokenizerEncoding;
  /** Number of tokens in `text`. */
  count(text: string): number;
  encode(text: string): number[];
  decode(tokens: readonly number[]): string;
}

// Special-token strings such as "<|endoftext|>" appear in real documents (OpenAI's own docs, for
// one). gpt-tokenizer throws on them by default; the APIs count them as ordinary text, and so do we.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

function make(encoding: TokenizerEncoding): Tokenizer {
  const impl = lazyRequire<typeof Encoding>(`gpt-tokenizer/encoding/${encoding}`);
  return {
    encoding,
    count: (text) => (text.length === 0 ? 0 : impl().encode(text, PLAIN_TEXT).length),
    encode: (text) => impl().encode(text, PLAIN_TEXT),
    decode: (tokens) => impl().decode(tokens as number[]),
  };
}

const tokenizers: Record<TokenizerEncoding, Tokenizer> = {
  cl100k_base: make('cl100k_base'),
  o200k_base: make('o200k_base'),
};

/** The shared tokenizer for an encoding. */
export function getTokenizer(encoding: TokenizerEncoding): Tokenizer {
  return tokenizers[encoding];
}
