/**
 * The layers of ARCHITECTURE.md, checked on the source: a module imports only from its own layer
 * or the layers below it, and nothing in src/ imports pipelines/ (the examples users copy).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';

const src = path.join(packageRoot(), 'src');

/** Lowest first. A folder (or top-level file) not listed fails the test, so new ones get a place. */
const LAYERS: string[][] = [
  ['errors.ts', 'types.ts', 'package-root.ts', 'lazy-require.ts', 'iter', 'net', 'text', 'options'],
  ['models'],
  ['store'],
  ['extract'],
  ['formats'],
  ['crawl'],
  ['stages', 'embed'],
  ['retrieval', 'core'],
  ['meetings'],
  ['jobs'],
  ['cli', 'server'],
  ['index.ts', 'entries'],
];

function layerOf(relative: string): number {
  const top = relative.split(path.sep)[0]!;
  const i = LAYERS.findIndex((names) => names.includes(top));
  if (i < 0) throw new Error(`src/${relative} is in no layer: give "${top}" a place in test/architecture.test.ts`);
  return i;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Relative imports of a file (static, dynamic and type-only), resolved to paths under the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => path.resolve(path.dirname(file), s).replace(/\.js$/, '.ts'));
}

describe('architecture', () => {
  const files = sourceFiles(src);

  test('no file under src/ imports pipelines/', () => {
    const offenders = files.filter((f) => importsOf(f).some((i) => i.startsWith(path.join(packageRoot(), 'pipelines'))));
    expect(offenders.map((f) => path.relative(packageRoot(), f))).toEqual([]);
  });

  test('every import goes to the same layer or a lower one', () => {
    const upward: string[] = [];
    for (const file of files) {
      const from = layerOf(path.relative(src, file));
      for (const target of importsOf(file)) {
        if (!target.startsWith(src + path.sep)) continue;
        const to = layerOf(path.relative(src, target));
        if (to > from) upward.push(`${path.relative(src, file)} → ${path.relative(src, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
