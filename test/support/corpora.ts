/**
 * Where the shared corpora (real documentation sites and meeting captions written by others) are:
 * `RAGLINE_CORPORA`, else `../shared/corpora` beside the checkout. Tests and benchmarks that use
 * them skip, saying so, when they are absent.
 */
import path from 'node:path';
import { packageRoot } from '../../src/package-root.js';

/** A path inside the shared corpora, e.g. `corpusPath('drf-docs')`. */
export function corpusPath(...parts: string[]): string {
  return path.join(process.env.RAGLINE_CORPORA ?? path.join(packageRoot(), '..', 'shared', 'corpora'), ...parts);
}
