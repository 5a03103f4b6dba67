/**
 * The ready pipelines users copy: each runs as written, over the public API, on real files and a
 * real site served on loopback, with the offline models, into a real database.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase } from './support/databases.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import { search, type Database } from '../src/index.js';
import { websiteQa } from '../pipelines/website-qa.js';
import { meetingMinutesPipeline } from '../pipelines/meeting-minutes.js';
import { batchIngestPipeline } from '../pipelines/batch-ingest.js';

const demoSite = path.join(packageRoot(), 'demo-site');

describe('the ready pipelines', () => {
  let db: Database & { drop(): Promise<void> };
  let site: StaticServer;
  let out: string;
  const env = { key: process.env.OPENAI_API_KEY, base: process.env.OPENAI_BASE_URL };

  beforeAll(async () => {
    // The pipelines pick models from the environment: offline ones here.
    delete process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_BASE_URL;
    [db, site, out] = await Promise.all([freshDatabase('pglite'), serveStatic(demoSite), mkdtemp(path.join(os.tmpdir(), 'ragline-pipelines-'))]);
  });
  afterAll(async () => {
    if (env.key !== undefined) process.env.OPENAI_API_KEY = env.key;
    if (env.base !== undefined) process.env.OPENAI_BASE_URL = env.base;
    await Promise.all([db?.drop(), site?.close(), rm(out, { recursive: true, force: true })]);
  });

  test('website Q&A crawls the site and answers with a cited source, streaming the text', async () => {
    const streamed: string[] = [];
    const result = await websiteQa({ db, source: site.url, question: 'How many times is a failing job retried by default?', allowPrivateNetwork: true, onText: (t) => streamed.push(t) });
    expect(result.ingest).toMatchObject({ documents: 16, new: 16 });
    expect(streamed.join('')).toBe(result.answer);
    expect(result.sources.find((s) => s.cited)?.url).toBe(`${site.url}guide/retries/`);
  });

  test('meeting minutes writes Markdown and Word files and makes the meeting searchable', async () => {
    const input = path.join(packageRoot(), 'test', 'fixtures', 'transcripts', 'zoom-standup.vtt');
    const { record, files } = await meetingMinutesPipeline({ db, input, out });
    expect(files.map((f) => path.basename(f.path))).toEqual(['zoom-standup.md', 'zoom-standup.docx']);
    expect(await readFile(files[0]!.path, 'utf8')).toContain(`# ${record.title}`);
    expect((await stat(files[1]!.path)).size).toBeGreaterThan(1000);
    const [first] = await search({ db, collection: 'meetings', query: record.transcript.segments[0]!.text, k: 1 });
    expect(first?.url).toMatch(/zoom-standup\.vtt#t=/);
  });

  test('batch ingestion queues a folder per job, works them all and counts them done', async () => {
    const result = await batchIngestPipeline({ db, sources: [path.join(demoSite, 'faq'), path.join(demoSite, 'guide')], collection: 'batch' });
    expect(result.jobs).toHaveLength(2);
    expect(result.states).toMatchObject({ done: 2, failed: 0, dead: 0, queued: 0 });
    expect(result.worker.done).toBe(2);
  });
});
