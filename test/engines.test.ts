/**
 * The Node versions `engines` promises are the ones every installed package accepts: `npm ci` on
 * the oldest supported Node prints no EBADENGINE warning (issue 15.6: docx pulled nanoid@6, which
 * asks for Node 22; package.json's `overrides` pins docx's nanoid to 5.x, which docx bundles anyway).
 * The oldest is 20.19.0 since the PDF reader: pdfjs-dist 5 asks for it (20.19 can `require` ESM).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../src/package-root.js';

// semver is npm's own range parser, installed with the dev tools (not a dependency of ragline).
const { satisfies, minVersion } = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

interface Lock {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
}

test("every package in the lock file accepts the oldest Node that ragline's engines allow", async () => {
  const root = packageRoot();
  const own = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
  const oldest = minVersion(own.engines.node)!.version;
  expect(oldest).toBe('20.19.0');
  const lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as Lock;
  const refusing = Object.entries(lock.packages)
    .filter(([name, p]) => name !== '' && !Array.isArray(p.engines) && typeof p.engines?.node === 'string' && !satisfies(oldest, p.engines.node))
    .map(([name, p]) => `${name}@${p.version} wants node ${(p.engines as { node: string }).node}`);
  expect(refusing).toEqual([]);
});
