/**
 * The package as users get it: `npm pack` of the built tree, installed into a fresh project, the
 * custom-model example compiled there with strict settings and library checks on, and run on a
 * folder of real Markdown files. Slow (an npm install and a tsc run): one test.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../src/package-root.js';

const run = promisify(execFile);
const root = packageRoot();

/** Every subpath the package exports, with a name each must export and one the root must not. */
const SUBPATHS: Record<string, string> = {
  'ragline/stages': 'crawl',
  'ragline/store': 'BinaryCopyWriter',
  'ragline/openai': 'resetSharedRateLimiters',
  'ragline/retrieval': 'packContext',
  'ragline/meetings': 'minutesDocx',
  'ragline/jobs': 'startWorker',
  'ragline/server': 'startServer',
  'ragline/pipelines/website-qa': 'websiteQa',
};

const CHECK_EXPORTS = `
import * as root from 'ragline';
const subpaths = ${JSON.stringify(SUBPATHS)};
for (const name of ['ingest', 'ingestDocuments', 'search', 'ask', 'askStream', 'openDatabase', 'registerProvider', 'pipe']) {
  if (typeof root[name] !== 'function') throw new Error('ragline does not export ' + name);
}
for (const [spec, name] of Object.entries(subpaths)) {
  const mod = await import(spec);
  if (!(name in mod)) throw new Error(spec + ' does not export ' + name);
  if (!spec.includes('pipelines') && name in root) throw new Error('ragline exports ' + name + ', which belongs to ' + spec);
}
console.log('exports ok');
`;

const TSCONFIG = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], strict: true, skipLibCheck: false, outDir: 'out' },
  files: ['custom-model.ts', 'subpaths.ts'],
};

describe('the packed package', () => {
  it('installs into a fresh project, where the custom-model example compiles strictly and answers from a folder', async () => {
    if (!existsSync(path.join(root, 'dist', 'src', 'index.js'))) throw new Error('Build first: npm run build');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-package-'));
    try {
      // The built tree as it is: no prepare script (the build), which `npm test` has just run.
      const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 64 << 20 });
      const tarball = path.join(dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);

      const project = path.join(dir, 'project');
      await mkdir(project);
      await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
      await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, maxBuffer: 64 << 20 });

      await copyFile(path.join(root, 'examples', 'custom-model.ts'), path.join(project, 'custom-model.ts'));
      await writeFile(path.join(project, 'subpaths.ts'), Object.keys(SUBPATHS).map((spec, i) => `export * as m${i} from '${spec}';\n`).join(''));
      await writeFile(path.join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
      // TypeScript from this checkout; the types it checks are the installed package's.
      const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project }).catch((err: { stdout?: string }) => {
        throw new Error(`tsc failed in the consumer project:\n${err.stdout ?? String(err)}`);
      });

      await writeFile(path.join(project, 'check-exports.mjs'), CHECK_EXPORTS);
      const exportsRun = await run(process.execPath, ['check-exports.mjs'], { cwd: project });
      expect(exportsRun.stdout).toContain('exports ok');

      const docs = path.join(dir, 'docs');
      await mkdir(docs);
      await writeFile(path.join(docs, 'tides.md'), '# Tides\n\nTides are caused by the gravity of the Moon and the Sun. Spring tides come at new and full moon.\n\n## Neap tides\n\nNeap tides come at the quarter moons, when the Sun partly cancels the pull of the Moon.\n');
      await writeFile(path.join(docs, 'bread.md'), '# Bread\n\nBread rises because yeast makes carbon dioxide. Knead the dough for ten minutes.\n');
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, RAGLINE_DATA_DIR: path.join(dir, 'data') };
      const { stdout } = await run(process.execPath, [path.join('out', 'custom-model.js'), docs, 'What causes tides?'], { cwd: project, env });

      expect(stdout).toContain('Ingested 2 documents (2 new, 0 changed)');
      const [passing, rebuilt] = stdout.split('search, the model rebuilt by the registry:');
      expect(passing).toMatch(/search, passing the model:\n\s+[\d.]+\s+Tides .*tides\.md/);
      expect(rebuilt).toMatch(/^\n\s+[\d.]+\s+Tides .*tides\.md/);
      expect(stdout).toContain('A: Tides are caused by the gravity of the Moon and the Sun. [1]');
      expect(stdout).toMatch(/Sources:\n\s+\[1\] Tides — file:\/\/.*tides\.md \(cited\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
