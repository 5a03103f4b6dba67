import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The ragline package's root folder (where `package.json`, `migrations/` and `demo-site/` live),
 * found from this file whether it runs from `src/` (tests) or `dist/src/` (the CLI).
 */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'ragline') {
      cached = dir;
      return dir;
    }
    dir = path.dirname(dir);
  }
  throw new Error('Cannot find the ragline package root: reinstall ragline.');
}

/** The package version from package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
