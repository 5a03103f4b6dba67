/**
 * Importing `ragline` loads no driver, SDK or renderer a program may never use: they load on first
 * use (PGlite and pg when a database opens, the OpenAI SDK on the first request, docx on the first
 * Word file, cheerio on the first HTML page, htmlparser2 on the first crawled page, commander in
 * the CLI only).
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../src/package-root.js';

const run = promisify(execFile);

const LAZY = ['openai', '@electric-sql/pglite', '@electric-sql/pglite-pgvector', 'pg', 'docx', 'commander', 'cheerio', 'htmlparser2'];

// Runs in a child process: a resolve hook (off-thread) posts every bare specifier it resolves.
const LIST_PACKAGES = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (s) => seen.add(s));
const hook = 'export async function initialize({ port }) { globalThis.port = port; }' +
  'export async function resolve(s, c, next) { if (!/^[.\\\\/]|^[a-z]+:/.test(s)) globalThis.port.postMessage(s); return next(s, c); }';
register('data:text/javascript,' + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });
await import(process.argv[1]);
await new Promise((r) => setTimeout(r, 100));
port1.close();
console.log(JSON.stringify([...seen]));
`;

describe('importing ragline', () => {
  it('should not load the database drivers, the OpenAI SDK, docx, the HTML parsers or commander', async () => {
    const entry = path.join(packageRoot(), 'dist', 'src', 'index.js');
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', LIST_PACKAGES, entry]);
    const packages = (JSON.parse(stdout) as string[]).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.filter((p) => LAZY.includes(p))).toEqual([]);
  });
});
