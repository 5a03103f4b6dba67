/**
 * Loading a dependency on first use instead of at import: `import 'ragline'` stays cheap, and a
 * process pays only for what it uses (cheerio for HTML pages, htmlparser2 for crawls). Synchronous,
 * so the code that uses it stays so; the package must ship CommonJS (all of these do).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A function returning the module `specifier`, loaded on its first call and kept. */
export function lazyRequire<T>(specifier: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(specifier) as T);
}
