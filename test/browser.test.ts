/**
 * The chat page in real headless Chromium (Debian's `chromium`, driven by playwright-core): ask a
 * question, watch the answer stream in, follow a citation to its source page, and check that the
 * page fits a phone. Screenshots go to test/artifacts/.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { startServerFixture, type ServerFixture } from './support/server-fixture.js';
import { packageRoot } from '../src/package-root.js';
import { ingest } from '../src/index.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { hasChromium, launchChromium, NO_CHROMIUM } from './support/chromium.js';

const ARTIFACTS = path.join(packageRoot(), 'test', 'artifacts');
const describeWithChromium = hasChromium ? describe : describe.skip;
const title = hasChromium ? 'chat page in Chromium' : `chat page in Chromium — ${NO_CHROMIUM}`;

describeWithChromium(title, () => {
  let f: ServerFixture;
  let browser: Browser;
  let notesDir: string | undefined;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    // Words streamed 25 ms apart, so the test can see a partial answer.
    f = await startServerFixture('pglite', { standIn: { streamDelayMs: 25 } });
    // A collection read from a folder: its sources are files, not web pages.
    notesDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-notes-'));
    await writeFile(path.join(notesDir, 'on-call.md'), '# On-call handbook\n\nThe on-call engineer answers pages within 15 minutes and hands over every Monday at 10:00.\n');
    await ingest({ db: f.db, source: notesDir, collection: 'notes', embedding: createOpenAIEmbedding({ client: f.client }) });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
    if (notesDir) await rm(notesDir, { recursive: true, force: true });
  });

  test('asks, streams the answer, and links its citation to the source page', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(f.server.url);
    await page.waitForSelector('#collection option[value="docs"]', { state: 'attached' });
    await page.fill('#q', 'How do I schedule a cron job in a specific time zone?');
    await page.press('#q', 'Enter');

    // While the answer is still streaming, the sources list and the first citation are already shown.
    // Read in the same frame as the check, so the text is the partial one.
    const partial = (await (
      await page.waitForFunction(() => {
        // No DOM types in the test build; the page's CSP forbids string predicates (eval).
        const doc = (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document;
        return doc.querySelector('.bot[aria-busy="true"] .cite') && doc.querySelector('.bot > div')!.textContent;
      })
    ).jsonValue()) as string;
    await page.waitForSelector('.bot[data-done="true"]');
    const answer = (await page.textContent('.bot > div'))!;
    expect(partial.length).toBeLessThan(answer.length);
    expect(answer.startsWith(partial)).toBe(true);
    expect(answer).toMatch(/^From the documentation \[1\]\. Stand-in reply: How do I schedule a cron job in a specific time zone\?$/);

    const cite = page.locator('.bot a.cite').first();
    const href = await cite.getAttribute('href');
    expect(href).toMatch(new RegExp(`^${f.site.url}guide/`));
    expect(await page.locator('.sources li').count()).toBeGreaterThan(0);
    expect(await page.locator('.sources li').first().locator('a').getAttribute('href')).toBe(href);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chat-desktop.png') });

    // The citation opens the source page in a new tab, and that page is the one cited.
    const [source] = await Promise.all([context.waitForEvent('page'), cite.click()]);
    await source.waitForLoadState('domcontentloaded');
    expect(source.url()).toBe(href);
    expect(await source.title()).toMatch(/Tidewater docs/);
    expect(problems).toEqual([]);
    await context.close();
  });

  test('fits a phone screen and keeps the conversation for a follow-up', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    await page.goto(f.server.url);
    await page.waitForSelector('#collection option[value="docs"]', { state: 'attached' });
    await page.fill('#q', 'How are failing jobs retried?');
    await page.click('#send');
    await page.waitForSelector('.bot[data-done="true"]');
    f.standIn.requests.length = 0;
    await page.fill('#q', 'And how many times by default?');
    await page.click('#send');
    await page.waitForSelector('.bot:nth-of-type(4)[data-done="true"]');
    // The follow-up went out with the history and was rewritten before retrieval.
    const rewrite = f.standIn.requests.find((r) => r.path === '/v1/chat/completions')!.body as { messages: Array<{ content: string }> };
    expect(rewrite.messages[1]!.content).toContain('User: How are failing jobs retried?');
    // A string: this file is compiled without the DOM library.
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(0);
    const box = (await page.locator('#send').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chat-phone.png') });
    await context.close();
  });

  test('a citation of a file source opens its quoted passages', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    await page.goto(`${f.server.url}/?collection=notes`);
    await page.waitForSelector('#collection option[value="notes"]', { state: 'attached' });
    expect(await page.inputValue('#collection')).toBe('notes');
    await page.fill('#q', 'How quickly does the on-call engineer answer pages?');
    await page.press('#q', 'Enter');
    await page.waitForSelector('.bot[data-done="true"]');
    const details = page.locator('.sources li').first().locator('details');
    expect(await details.getAttribute('open')).toBeNull();
    await page.locator('.bot a.cite').first().click();
    expect(await details.getAttribute('open')).toBe('');
    expect(await details.locator('blockquote').textContent()).toContain('answers pages within 15 minutes');
    expect(await details.locator('summary').textContent()).toMatch(/on-call\.md$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chat-file-source.png') });
    await page.close();
  });

  test('when the server requires a key, the page asks for it once and then answers', async () => {
    const key = 'sk-page-test-0123456789abcdef';
    await f.restart({ apiKeys: [key] });
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
      await page.goto(f.server.url);
      await page.waitForSelector('#keybar.show');
      await page.fill('#key', key);
      await page.click('#savekey');
      await page.waitForSelector('#collection option[value="docs"]', { state: 'attached' });
      expect(await page.isVisible('#keybar')).toBe(false);
      await page.fill('#q', 'How do I upgrade from version 2 to 3?');
      await page.press('#q', 'Enter');
      await page.waitForSelector('.bot[data-done="true"]');
      expect(await page.textContent('.bot > div')).toMatch(/^From the documentation \[1\]\./);
      expect(await page.locator('.bot.error').count()).toBe(0);
      await page.close();
    } finally {
      await f.restart();
    }
  });
});
