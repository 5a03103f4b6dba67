/**
 * PDF and Word documents end to end, on files made on the spot: a PDF printed by headless Chromium
 * (with its running header and footer), a .docx made by pandoc from a docs page, a corrupt PDF and
 * an image-only PDF, in a folder and on a crawled loopback site; real databases of both kinds.
 * Tests needing chromium or pandoc are skipped, saying so, when the binary is absent.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describeEachDatabase, freshDatabase } from './support/databases.js';
import { runCliInProcess } from './support/cli.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import type { Database } from '../src/store/database.js';
import type { IngestSummary } from '../src/core/ingest.js';
import { registerFormat } from '../src/formats/registry.js';
import { pdfFormat } from '../src/formats/document-formats.js';
import type { BytesFormat } from '../src/formats/format.js';

const run = promisify(execFile);

/** The path of a binary on PATH, or undefined. */
async function which(name: string): Promise<string | undefined> {
  return run('sh', ['-c', `command -v ${name}`]).then((r) => r.stdout.trim() || undefined, () => undefined);
}

/** Print an HTML file to PDF with headless Chromium (with or without its header and footer). */
async function printToPdf(chromium: string, html: string, pdf: string, headerFooter: boolean): Promise<void> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', ...(headerFooter ? [] : ['--no-pdf-header-footer'])];
  await run(chromium, [...flags, `--print-to-pdf=${pdf}`, `file://${html}`], { timeout: 120_000 });
}

/** Four pages, each started by a page break; the phrase the test asks about is on page 3. */
function handbookHtml(): string {
  const filler = (topic: string) =>
    `<p>This section of the handbook describes ${topic} in the detail an operator needs on a first day. ` +
    'It is written as ordinary prose so that the text layer of the printed PDF holds full sentences, wrapped over several lines.</p>';
  const page = (title: string, body: string, last = false) => `<section style="${last ? '' : 'break-after: page;'}"><h2>${title}</h2>${body}</section>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Operations Handbook</title>
<style>body{font: 12pt serif; width: 40em} h1{font-size: 28pt} h2{font-size: 20pt}</style></head><body>
<h1>Operations Handbook</h1>
${page('Onboarding', filler('onboarding') + filler('laptops and accounts'))}
${page('Deployments', filler('deployments') + filler('rollbacks'))}
${page('Audit logs', '<p>The Zanzibar retention policy keeps audit logs for exactly four hundred days before they are archived to cold storage.</p>' + filler('audit logs'))}
${page('Incidents', filler('incident response') + filler('postmortems'), true)}
</body></html>`;
}

interface Fixtures {
  /** Whether the folder holds an encrypted PDF (qpdf made it). */
  encrypted?: boolean;
  dir: string;
  folder: string;
  site: string;
  handbook: string;
  skip?: string;
}

/** The folder (and a site folder) of files, or why the tests cannot run here. */
async function makeFixtures(): Promise<Fixtures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-pdf-docx-'));
  const folder = path.join(dir, 'handbook');
  const site = path.join(dir, 'site');
  const handbook = path.join(folder, 'handbook.pdf');
  const [chromium, pandoc] = await Promise.all([which('chromium'), which('pandoc')]);
  if (chromium === undefined || pandoc === undefined) {
    return { dir, folder, site, handbook, skip: `${chromium === undefined ? 'chromium' : 'pandoc'} is not installed` };
  }
  await Promise.all([mkdir(folder), mkdir(site)]);
  const html = path.join(dir, 'handbook.html');
  await writeFile(html, handbookHtml());
  await printToPdf(chromium, html, handbook, true);
  // A docs page as a Word file.
  const docsPage = path.join(packageRoot(), 'demo-site', 'guide', 'dead-letter-queues', 'index.html');
  await run(pandoc, ['-f', 'html', '-t', 'docx', '-o', path.join(folder, 'dead-letters.docx'), docsPage]);
  // A corrupt PDF: the head of a real one, cut off.
  await writeFile(path.join(folder, 'corrupt.pdf'), (await readFile(handbook)).subarray(0, 900));
  // An image-only PDF: a screenshot printed from a page holding nothing but the image.
  const shot = path.join(dir, 'shot.png');
  await run(chromium, ['--headless', '--no-sandbox', '--disable-gpu', `--screenshot=${shot}`, '--window-size=400,300', `file://${html}`], { timeout: 120_000 });
  const scanHtml = path.join(dir, 'scan.html');
  await writeFile(scanHtml, `<!doctype html><html><body style="margin:0"><img src="shot.png" width="400" height="300"></body></html>`);
  await printToPdf(chromium, scanHtml, path.join(folder, 'scan.pdf'), false);
  await writeFile(path.join(folder, 'photo.xyz'), 'not a document');
  // An encrypted PDF, when qpdf is there to make one.
  const qpdf = await which('qpdf');
  if (qpdf) await run(qpdf, ['--encrypt', 'secret', 'owner', '256', '--', handbook, path.join(folder, 'locked.pdf')]);
  // A site whose page links the PDF, and a copy of it without extension (found by its magic bytes).
  await copyFile(handbook, path.join(site, 'handbook.pdf'));
  await copyFile(handbook, path.join(site, 'download'));
  await writeFile(path.join(site, 'index.html'), '<!doctype html><html><head><title>Site</title></head><body><main><h1>Site</h1><p>Read <a href="handbook.pdf">the handbook</a> or <a href="download">download it</a>.</p></main></body></html>');
  return { dir, folder, site, handbook, encrypted: qpdf !== undefined };
}

let fixtures: Fixtures;
beforeAll(async () => {
  fixtures = await makeFixtures();
  if (fixtures.skip) console.log(`Skipping the PDF and Word tests: ${fixtures.skip}.`);
}, 300_000);
afterAll(async () => {
  if (fixtures) await rm(fixtures.dir, { recursive: true, force: true });
});

interface SearchResult {
  url: string;
  title: string;
  text: string;
}

describeEachDatabase('PDF and Word files', (backend) => {
  let db: Database & { drop(): Promise<void> };
  let site: StaticServer;
  const cli = (args: string[]) => runCliInProcess(args, { database: db });
  const search = async (query: string, collection: string): Promise<SearchResult[]> => {
    const r = await cli(['search', query, '--collection', collection, '-k', '3', '--json']);
    expect(r.stderr).not.toMatch(/Error/);
    return JSON.parse(r.stdout) as SearchResult[];
  };
  const ingestJson = async (args: string[]): Promise<IngestSummary> => {
    const r = await cli(['ingest', ...args, '--json']);
    expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout) as IngestSummary;
  };

  beforeAll(async () => {
    db = await freshDatabase(backend);
    if (!fixtures.skip) site = await serveStatic(fixtures.site);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), site?.close()]);
  });

  test('a folder ingest stores the PDF and the Word file and lists the bad files with their reasons', async () => {
    if (fixtures.skip) return;
    const summary = await ingestJson([fixtures.folder, '--collection', 'handbook']);
    const encrypted = fixtures.encrypted ? { encrypted: 1 } : {};
    expect(summary).toMatchObject({ documents: 2, new: 2, skipped: { corrupt: 1, 'image-only': 1, 'unsupported-type': 1, ...encrypted } });
    const byName = Object.fromEntries(summary.skippedItems.map((f) => [path.basename(f.path ?? ''), f]));
    if (fixtures.encrypted) expect(byName['locked.pdf']).toMatchObject({ reason: 'encrypted', message: expect.stringMatching(/encrypted PDF/) });
    else console.log('No encrypted PDF in the folder: qpdf is not installed.');
    expect(byName['corrupt.pdf']).toMatchObject({ reason: 'corrupt', path: path.join(fixtures.folder, 'corrupt.pdf'), message: expect.stringMatching(/not a readable PDF/) });
    expect(byName['scan.pdf']).toMatchObject({ reason: 'image-only', message: expect.stringMatching(/image only: OCR is not built/) });
    expect(byName['photo.xyz']).toMatchObject({ reason: 'unsupported-type' });
  });

  test("a question about the PDF finds the passage with its page in the URL, and ask cites 'Title, p. N'", async () => {
    if (fixtures.skip) return;
    const [top] = await search('How long does the Zanzibar retention policy keep audit logs?', 'handbook');
    expect(top?.url).toMatch(/handbook\.pdf#page=3$/);
    expect(top?.text).toMatch(/keeps audit logs for exactly four hundred days/);
    const asked = await cli(['ask', 'How long does the Zanzibar retention policy keep audit logs?', '--collection', 'handbook']);
    expect(asked.stdout).toMatch(/Operations Handbook, p\. 3 — .*handbook\.pdf#page=3/);
  });

  test("the PDF's running header and footer are not in its chunks; its headings are", async () => {
    if (fixtures.skip) return;
    const { rows } = await db.pool.query<{ text: string; heading_path: string[] }>(
      `SELECT k.text, k.heading_path FROM chunks k JOIN documents d ON d.id = k.document_id WHERE d.source LIKE '%handbook.pdf'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.text).not.toMatch(/file:\/\/|handbook\.html|\d+\/\d+\s*$/);
    expect(rows.map((r) => r.heading_path.at(-1))).toEqual(expect.arrayContaining(['Audit logs', 'Incidents']));
  });

  test('a question about the Word file finds it', async () => {
    if (fixtures.skip) return;
    const results = await search('How do I re-run jobs from the dead-letter queue?', 'handbook');
    expect(results.map((r) => path.basename(new URL(r.url).pathname))).toContain('dead-letters.docx');
  });

  test('re-ingesting the unchanged folder embeds nothing, and does not parse the stored PDF again', async () => {
    if (fixtures.skip) return;
    const parsed: string[] = [];
    const counting: BytesFormat = { ...pdfFormat, extract: (bytes, doc, options) => (parsed.push(path.basename(doc.url)), pdfFormat.extract(bytes, doc, options)) };
    registerFormat(counting);
    try {
      const summary = await ingestJson([fixtures.folder, '--collection', 'handbook']);
      expect(summary).toMatchObject({ documents: 2, unchanged: 2, new: 0, changed: 0, embeddedChunks: 0, embeddedTokens: 0 });
    } finally {
      registerFormat(pdfFormat);
    }
    // The files that were not stored are read again; the stored one is known by its bytes.
    expect(parsed).not.toContain('handbook.pdf');
    expect(parsed).toEqual(expect.arrayContaining(['corrupt.pdf', 'scan.pdf']));
  });

  test('without --json the summary names the reasons, --verbose lists each file, and a dry run goes past the bad files too', async () => {
    if (fixtures.skip) return;
    const r = await cli(['ingest', fixtures.folder, '--collection', 'handbook', '--dry-run', '--verbose']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ {2}.*corrupt\.pdf — corrupt file$/m);
    expect(r.stderr).toMatch(/^ {2}.*scan\.pdf — image only \(no text layer; OCR is not built\)$/m);
    expect(r.stderr).toMatch(/Dry run for "handbook": 2 pages .*files skipped: .*1 corrupt file/);
  });

  test('--max-file-bytes bounds the PDF and Word files of a folder too, each listed with the reason', async () => {
    if (fixtures.skip) return;
    const summary = await ingestJson([fixtures.folder, '--collection', 'handbook', '--dry-run', '--max-file-bytes', '1000']);
    const tooLarge = summary.skippedItems.filter((f) => f.reason === 'too-large').map((f) => path.basename(f.path ?? ''));
    expect(tooLarge).toEqual(expect.arrayContaining(['handbook.pdf', 'dead-letters.docx', 'scan.pdf']));
    expect(summary.skippedItems.find((f) => f.path?.endsWith('handbook.pdf'))?.message).toMatch(/exceeds maxFileBytes \(1000\)/);
    expect(summary.documents).toBe(0);
  });

  test('a crawled page linking a PDF gets the PDF ingested, typed by extension or by its first bytes', async () => {
    if (fixtures.skip) return;
    const summary = await ingestJson([site.url, '--collection', 'site', '--allow-private-network']);
    expect(summary).toMatchObject({ documents: 3, new: 3 });
    const results = await search('Zanzibar retention policy audit logs', 'site');
    expect(results.map((r) => r.url)).toEqual(expect.arrayContaining([`${site.url}handbook.pdf#page=3`, `${site.url}download#page=3`]));
  });

  test('a PDF larger than --max-file-bytes is not downloaded, and is listed with the reason', async () => {
    if (fixtures.skip) return;
    const summary = await ingestJson([site.url, '--collection', 'small', '--allow-private-network', '--max-file-bytes', '1000']);
    expect(summary).toMatchObject({ documents: 1, skipped: { 'too-large': 2 } });
    expect(summary.skippedItems).toEqual(
      expect.arrayContaining([
        { url: `${site.url}handbook.pdf`, reason: 'too-large', message: expect.stringMatching(/larger than maxFileBytes \(1000 bytes\); raise it with --max-file-bytes/) },
      ]),
    );
  });
});
