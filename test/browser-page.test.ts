/**
 * The chat page's rendering and controls in real headless Chromium: Markdown rendered safely
 * (raw HTML from sources and models never reaches the DOM), code blocks with a copy button, the
 * typing indicator, stop (button and Escape), new chat, "1 page", dark mode and the live region.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { REWRITTEN, startServerFixture, type ServerFixture } from './support/server-fixture.js';
import { waitFor } from './support/wait-for.js';
import { ingest } from '../src/index.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { STANDALONE_SYSTEM_PROMPT } from '../src/server/conversation.js';
import { parseUserMessage } from '../src/core/prompt.js';
import type { StandInChatMessage } from './stand-in/openai-stand-in.js';
import { hasChromium, launchChromium, NO_CHROMIUM } from './support/chromium.js';

const describeWithChromium = hasChromium ? describe : describe.skip;
const title = hasChromium ? 'chat page rendering and controls in Chromium' : `chat page in Chromium — ${NO_CHROMIUM}`;

const HOSTILE = `<img src=x onerror="document.title='pwned'">`;
const CODE = 'tw.queue("reports", { timeout: "10m" });';

/** Replies by question: Markdown with code, a long answer (to stop), else a citation and the question. */
function respond(messages: StandInChatMessage[]): string {
  if (messages[0]?.content === STANDALONE_SYSTEM_PROMPT) return REWRITTEN;
  const user = [...messages].reverse().find((m) => m.role === 'user');
  if (!user?.content.startsWith('Sources:')) return 'Stand-in reply.';
  const { question } = parseUserMessage(user.content);
  if (question.includes('code')) {
    return `Set a **timeout** on the queue [1]:\n\n\`\`\`js\n${CODE}\n\`\`\`\n\n- one\n- two\n\n[click me](javascript:document.title='pwned') and ${HOSTILE} <script>document.title='pwned'</script>`;
  }
  if (question.includes('long')) return `A long answer [1]: ${Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ')}`;
  return `From the documentation [1]. Stand-in reply: ${question}`;
}

describeWithChromium(title, () => {
  let f: ServerFixture;
  let browser: Browser;
  let notesDir: string | undefined;

  beforeAll(async () => {
    f = await startServerFixture('pglite', { standIn: { respond, streamDelayMs: 20 } });
    // A source whose text carries raw HTML: shown as text, never parsed.
    notesDir = await mkdtemp(path.join(os.tmpdir(), 'ragline-evil-'));
    await writeFile(path.join(notesDir, 'evil.txt'), `Evil ${HOSTILE}\n\nThe evil page says ${HOSTILE} and <script>document.title='pwned'</script> loudly.\n`);
    await ingest({ db: f.db, source: notesDir, collection: 'evil', embedding: createOpenAIEmbedding({ client: f.client }) });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
    if (notesDir) await rm(notesDir, { recursive: true, force: true });
  });

  /** A new page on the chat, its collections loaded; console errors collected in `problems`. */
  async function open(query = '', options: Parameters<Browser['newContext']>[0] = {}): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1000, height: 760 }, ...options });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${f.server.url}/${query}`);
    await page.waitForSelector('#collection option[value="docs"]', { state: 'attached' });
    return { page, problems };
  }

  async function ask(page: Page, question: string, n = 1): Promise<void> {
    await page.fill('#q', question);
    await page.press('#q', 'Enter');
    await page.waitForSelector(`.bot:nth-of-type(${2 * n})[data-done="true"]`);
  }

  test('renders Markdown, links citations, and copies a code block', async () => {
    const { page, problems } = await open('', { permissions: ['clipboard-read', 'clipboard-write'] });
    await ask(page, 'Show me code for a queue timeout');
    const answer = page.locator('.bot .answer');
    expect(await answer.locator('strong').textContent()).toBe('timeout');
    expect(await answer.locator('pre code').textContent()).toBe(`${CODE}\n`);
    expect(await answer.locator('ul li').allTextContents()).toEqual(['one', 'two']);
    expect(await answer.locator('a.cite').getAttribute('href')).toMatch(new RegExp(`^${f.site.url}`));
    // A javascript: link loses its target.
    expect(await answer.locator('a[href^="javascript"]').count()).toBe(0);
    await answer.locator('button.copy').click();
    await page.waitForSelector('button.copy:text("Copied")');
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(`${CODE}\n`);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test('raw HTML from a source and from the model is shown as text, never run', async () => {
    const { page, problems } = await open('?collection=evil');
    expect(await page.locator('#collection option[value="evil"]').textContent()).toBe('evil (1 page)');
    expect(await page.locator('#collection option[value="docs"]').textContent()).toMatch(/^docs \(\d+ pages\)$/);
    await ask(page, `What does the evil page say about ${HOSTILE}?`);
    expect(await page.locator('.bot .answer').first().textContent()).toContain(HOSTILE);
    expect(await page.locator('.user').first().textContent()).toContain(HOSTILE);
    expect(await page.locator('.sources blockquote').first().textContent()).toContain('<img src=x');
    expect(await page.locator('#log img, #log script, #log [onerror]').count()).toBe(0);
    await page.click('#newchat');
    await ask(page, 'And show some code');
    expect(await page.locator('#log img, #log script, #log [onerror]').count()).toBe(0);
    expect(await page.title()).toBe('Ask the docs — ragline');
    // The hostile text is visible as typed: in the answer, in the question, and in the quoted source.
    expect(await page.locator('.bot .answer').first().textContent()).toContain(HOSTILE);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  test('shows a typing indicator until the first words, announced to screen readers', async () => {
    const { page } = await open();
    expect(await page.getAttribute('#log', 'aria-live')).toBe('polite');
    expect(await page.getAttribute('#log', 'role')).toBe('log');
    // The question's embedding is held back, so the answer is a while coming.
    f.standIn.injectFaults({ delayMs: 3000 });
    await page.fill('#q', 'How are failing jobs retried?');
    await page.press('#q', 'Enter');
    const typing = page.locator('.bot[aria-busy="true"] .typing[role="status"]');
    await typing.waitFor({ state: 'visible' });
    expect(await typing.textContent()).toBe('The answer is being written…');
    await page.waitForSelector('.bot[data-done="true"]');
    expect(await page.locator('.typing').count()).toBe(0);
    expect(await page.textContent('#status')).toBe('Answer complete.');
    await page.context().close();
  });

  test('the stop button aborts the request, keeps the partial answer, and frees the form', async () => {
    const { page } = await open();
    await page.fill('#q', 'Give me a long answer about retries');
    await page.click('#send');
    await page.waitForSelector('.bot[aria-busy="true"] .answer p');
    expect(await page.isVisible('#send')).toBe(false);
    await page.click('#stop');
    await page.waitForSelector('.bot.stopped[data-done="true"]');
    expect(await page.textContent('.bot .note')).toBe('Stopped.');
    // What had arrived stays (however little: the stop may come after the first word), the rest never comes.
    const kept = await page.textContent('.bot .answer');
    expect(kept).toMatch(/^A long answer \[1\]: word0/);
    expect(kept).not.toContain('word399');
    expect(await page.isVisible('#send')).toBe(true);
    expect(await page.isVisible('#stop')).toBe(false);
    // The server saw the client leave and cancelled the model call.
    await waitFor(() => f.standIn.requests.some((r) => r.path === '/v1/chat/completions' && r.clientClosed), { what: 'the model call to be cancelled' });
    await page.context().close();
  });

  test('works from the keyboard: Enter asks, Escape stops, focus returns to the question', async () => {
    const { page } = await open();
    await page.focus('#q');
    await page.keyboard.type('Another long answer please');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.bot[aria-busy="true"] .answer p');
    await page.keyboard.press('Escape');
    await page.waitForSelector('.bot.stopped[data-done="true"]');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id)).toBe('q');
    expect(await page.getAttribute('#stop', 'aria-label')).toBe('Stop the answer');
    await page.context().close();
  });

  test('"New chat" clears the conversation: the next question goes without history', async () => {
    const { page } = await open();
    await ask(page, 'How are failing jobs retried?');
    await page.click('#newchat');
    expect(await page.locator('#log .msg').count()).toBe(0);
    expect(await page.textContent('#hint')).toBe('New chat: ask a question about docs.');
    f.standIn.requests.length = 0;
    await ask(page, 'And how many times by default?');
    // No history: the question is not rewritten as a follow-up.
    const chats = f.standIn.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => (r.body as { messages: Array<{ content: string }> }).messages[0]!.content);
    expect(chats).not.toContain(STANDALONE_SYSTEM_PROMPT);
    expect(await page.locator('#log .msg').count()).toBe(2);
    await page.context().close();
  });

  test('a server started for some collections offers only those, and opens on the first', async () => {
    await f.restart({ collections: ['evil', 'docs'], defaultCollection: undefined });
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(f.server.url);
      await page.waitForSelector('#collection option[value="docs"]', { state: 'attached' });
      expect(await page.locator('#collection option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value))).toEqual(['evil', 'docs']);
      expect(await page.inputValue('#collection')).toBe('evil');
      await context.close();
    } finally {
      await f.restart();
    }
  });

  test('follows the system colour scheme', async () => {
    const background = (page: Page) => page.evaluate(() => {
      const g = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string }; document: { body: unknown } };
      return g.getComputedStyle(g.document.body).backgroundColor;
    });
    const { page } = await open('', { colorScheme: 'dark' });
    expect(await background(page)).toBe('rgb(20, 23, 29)');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await background(page)).toBe('rgb(246, 247, 249)');
    await page.context().close();
  });
});
