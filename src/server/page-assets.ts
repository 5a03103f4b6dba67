/**
 * The page's two vendored scripts, read from node_modules when the server starts and served from
 * the server itself (the page makes no request elsewhere): `marked` renders the model's Markdown,
 * and `DOMPurify` sanitizes what it renders. Both are well-kept, dependency-free, and shipped as
 * browser builds, so no bundler is needed. Each is pinned by a Subresource Integrity hash.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** One served script. */
export interface PageAsset {
  /** URL path, e.g. `/assets/marked.js`. */
  path: string;
  body: Buffer;
  /** `sha384-...`, for the script tag's `integrity`. */
  integrity: string;
}

function asset(urlPath: string, file: string): PageAsset {
  const body = readFileSync(file);
  return { path: urlPath, body, integrity: `sha384-${createHash('sha384').update(body).digest('base64')}` };
}

let loaded: PageAsset[] | undefined;

/** The scripts, read once per process: marked's UMD build, then DOMPurify's minified one. */
export function pageAssets(): readonly PageAsset[] {
  return (loaded ??= [
    asset('/assets/marked.js', path.join(path.dirname(require.resolve('marked/package.json')), 'lib', 'marked.umd.js')),
    asset('/assets/purify.js', require.resolve('dompurify/dist/purify.min.js')),
  ]);
}
