/** htmlparser2's streaming `Parser`, loaded on the first page or sitemap read (see lazyRequire). */
import type { Parser as ParserType } from 'htmlparser2';
import { lazyRequire } from '../lazy-require.js';

const htmlparser2 = lazyRequire<typeof import('htmlparser2')>('htmlparser2');

/** `new Parser(handlers, options)`, as htmlparser2's. */
export const Parser = function (...args: ConstructorParameters<typeof ParserType>): ParserType {
  return new (htmlparser2().Parser)(...args);
} as unknown as typeof ParserType;
