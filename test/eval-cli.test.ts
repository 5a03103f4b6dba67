/**
 * `ragline eval` as a user runs it, in this process, over the demo site ingested from loopback:
 * page metrics, answers, the HTML report, comparisons, and clear errors for bad question files.
 * Also `--rerank` through the stand-in's `/v1/rerank`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freshDatabase, serverUrl } from './support/databases.js';
import type { Database } from '../src/store/database.js';
import { serveStatic, type StaticServer } from '../src/net/static-server.js';
import { packageRoot } from '../src/package-root.js';
import { runCliInProcess } from './support/cli.js';
import { startOpenAIStandIn, type OpenAIStandIn } from './stand-in/openai-stand-in.js';
import type { EvalReport } from '../src/core/evaluate.js';
import { startServer } from '../src/server/server.js';
import { createExtractiveChat } from '../src/models/local/extractive-chat.js';
import { createHttpReranker } from '../src/models/rerank/http-reranker.js';

test('ragline eval --help describes the questions file, the metrics and the comparisons', async () => {
  const r = await runCliInProcess(['eval', '--help']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^Usage: ragline eval \[options\] <questions>/);
  expect(r.stdout).toMatch(/--answers[\s\S]*--report <file\.html>[\s\S]*--compare-collection <name>[\s\S]*--rerank <provider\/model>[\s\S]*--max-per-page <n>/);
});

describe('ragline eval', () => {
  let site: StaticServer;
  let dir: string;
  let database: Database & { drop(): Promise<void> };
  let questions: string;
  const run = (args: string[], env: Record<string, string> = {}) => runCliInProcess(args, { database, cwd: dir, env });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-eval-'));
    site = await serveStatic(path.join(packageRoot(), 'demo-site'));
    database = await freshDatabase(serverUrl ? 'postgres' : 'pglite');
    const ingest = await run(['ingest', site.url, '--collection', 'docs', '--allow-private-network']);
    expect(ingest.code).toBe(0);
    questions = path.join(dir, 'questions.jsonl');
    await writeFile(
      questions,
      [
        JSON.stringify({ question: 'With the default settings, how many times is a failing job retried after its first run?', urls: [`${site.url}guide/retries/index.html`] }),
        '',
        JSON.stringify({ question: 'How do I set up a task that fires at 9 in the morning on weekdays, New York time?', urls: ['guide/scheduling/#cron'] }),
        JSON.stringify({ question: 'How much does the hosted Tidewater Cloud plan cost per month?', urls: [] }),
        JSON.stringify({ question: 'How do I encrypt job payloads at rest?', urls: [] }),
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await site?.close();
    await database?.drop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  test('--json reports hit@1, hit@5, MRR and nDCG@10 over pages, matching index.html, trailing slashes and fragments alike', async () => {
    const r = await run(['eval', 'questions.jsonl', '--collection', 'docs', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as EvalReport;
    expect(report.summary).toMatchObject({ questions: 4, answerable: 2, unanswerable: 2, hitAt5: 1, costUsd: 0 });
    expect(report.summary.mrr).toBeGreaterThan(0.5);
    expect(report.summary.ndcg10).toBeGreaterThan(0.5);
    expect(report.summary.hitCurve).toHaveLength(10);
    expect(report.results.map((q) => q.line)).toEqual([1, 3, 4, 5]);
    expect(report.results[0]!.rank).toBeGreaterThanOrEqual(1);
    // Distinct pages: a page retrieved through several passages is ranked once.
    for (const q of report.results) expect(new Set(q.pages).size).toBe(q.pages.length);
  });

  test('the text report is a summary table and lists the questions missed', async () => {
    const r = await run(['eval', 'questions.jsonl', '--collection', 'docs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^hit@5\s+100\.0%$/m);
    expect(r.stdout).toMatch(/^nDCG@10\s+\d\.\d{3}$/m);
  });

  // Before counting question terms absent from every source in full, the offline answerer quoted
  // "show prints a job with its payload" for the encryption question.
  test('--answers scores citations and "I don\'t know" on answerable and unanswerable questions', async () => {
    const r = await run(['eval', 'questions.jsonl', '--collection', 'docs', '--answers', '--json']);
    expect(r.code).toBe(0);
    const { summary, results } = JSON.parse(r.stdout) as EvalReport;
    expect(summary.answers).toMatchObject({ dontKnowUnanswerable: 1, dontKnowAnswerable: expect.any(Number), citesExpected: expect.any(Number) });
    expect(results[0]).toMatchObject({ dontKnow: false, cited: [expect.stringMatching(/\/guide\/retries\/$/)] });
    expect(results[2]).toMatchObject({ dontKnow: true, answer: "I don't know." });
    expect(results[3]).toMatchObject({ dontKnow: true, answer: "I don't know." });
  });

  test('--report writes one self-contained HTML page with the hit@k curve; --compare-max-per-page runs a second setting beside it', async () => {
    const r = await run(['eval', 'questions.jsonl', '--collection', 'docs', '--report', 'out.html', '--compare-max-per-page', '0', '--json']);
    expect(r.code).toBe(0);
    const reports = JSON.parse(r.stdout) as EvalReport[];
    expect(reports).toHaveLength(2);
    expect(reports[1]!.settings).toMatch(/max 0 per page/);
    const html = await readFile(path.join(dir, 'out.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<polyline/g)).toHaveLength(2);
    expect(html).toContain('New York time');
    expect(html).not.toMatch(/<script|<link|src=/i);
  });

  test('a bad line is one error naming its line number', async () => {
    await writeFile(path.join(dir, 'bad.jsonl'), `${JSON.stringify({ question: 'ok?', urls: [] })}\n{"question": "no urls"}\n`);
    const r = await run(['eval', 'bad.jsonl', '--collection', 'docs']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ragline: bad\.jsonl line 2: "urls" is missing or not an array of non-empty strings\. Each line must be/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const notJson = await writeFile(path.join(dir, 'bad2.jsonl'), '{"question": "x", "urls": []}\n\nnot json\n').then(() => run(['eval', 'bad2.jsonl', '--collection', 'docs']));
    expect(notJson.stderr).toMatch(/bad2\.jsonl line 3: not JSON/);
  });

  test('search --filter takes !=, in and ranges; a range on a word is one clear error line', async () => {
    const ok = await run(['search', 'retries', '--collection', 'docs', '--filter', 'product in api,cli', '--filter', 'n>=2', '--json']);
    expect([ok.code, JSON.parse(ok.stdout)]).toEqual([0, []]);
    const none = await run(['search', 'retries', '--collection', 'docs', '--filter', 'product!=api']);
    expect(none.stdout).toMatch(/^1\. /);
    const bad = await run(['search', 'retries', '--collection', 'docs', '--filter', 'n>=soon']);
    expect([bad.code, bad.stderr]).toEqual([2, 'ragline: Filter `n>=soon` (string) compares with `soon` (string): a range takes a number (3, 2.5) or an ISO date (2024-01-01). Write key=value, key!=value, "key in a,b", key>=3 or key<2024-01-01 (ranges take numbers or ISO dates).\n']);
  });

  describe('--rerank through the stand-in\'s /v1/rerank', () => {
    let standIn: OpenAIStandIn;
    beforeAll(async () => {
      standIn = await startOpenAIStandIn();
    });
    afterAll(() => standIn?.close());

    test('search --rerank http/<model> reorders the candidates by the endpoint\'s relevance scores', async () => {
      const env = { RAGLINE_RERANK_BASE_URL: standIn.url, RAGLINE_RERANK_API_KEY: 'sk-test' };
      const r = await run(['search', 'how', 'many', 'retries', 'by', 'default', '--collection', 'docs', '--rerank', 'http/overlap-v1', '--rerank-candidates', '12', '--json'], env);
      expect(r.code).toBe(0);
      const results = JSON.parse(r.stdout) as Array<{ relevanceScore?: number; score: number }>;
      expect(results).toHaveLength(5);
      for (const x of results) expect(x.relevanceScore).toEqual(x.score);
      const scores = results.map((x) => x.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      const calls = standIn.requests.filter((q) => q.path === '/v1/rerank');
      expect(calls).toHaveLength(1);
      expect(calls[0]!.body).toMatchObject({ model: 'overlap-v1', query: 'how many retries by default', top_n: 12 });
      expect((calls[0]!.body as { documents: string[] }).documents).toHaveLength(12);
      expect(calls[0]!.headers.authorization).toBe('Bearer sk-test');
    });

    test('eval --compare-rerank puts retrieval with and without the reranker side by side', async () => {
      const r = await run(['eval', 'questions.jsonl', '--collection', 'docs', '--compare-rerank', 'http/overlap-v1'], { RAGLINE_RERANK_BASE_URL: standIn.url, RAGLINE_RERANK_API_KEY: 'sk-test' });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/docs: hybrid, k 10\s+docs: hybrid, k 10, rerank http\/overlap-v1/);
    });

    test('the server reranks every search with its reranker; "rerank": false in a request turns it off', async () => {
      const reranker = createHttpReranker({ baseUrl: standIn.url, model: 'overlap-v1', apiKey: 'sk-test' });
      const server = await startServer({ db: database, chat: createExtractiveChat(), search: { reranker }, port: 0 });
      try {
        const post = async (body: Record<string, unknown>) => {
          const res = await fetch(`${server.url}/api/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'retries by default', collection: 'docs', ...body }) });
          return (await res.json()) as { results: Array<{ score: number }> };
        };
        standIn.requests.length = 0;
        const reranked = await post({});
        expect(standIn.requests.filter((q) => q.path === '/v1/rerank')).toHaveLength(1);
        expect(reranked.results[0]!.score).toBeGreaterThan(0.5);
        const plain = await post({ rerank: false });
        expect(standIn.requests.filter((q) => q.path === '/v1/rerank')).toHaveLength(1);
        expect(plain.results[0]!.score).toBeLessThan(0.1);
      } finally {
        await server.close();
      }
    });

    test('a reranker that cannot be built is one clear error: an unknown service, http without a base URL, llm on the offline answerer', async () => {
      const unknown = await run(['search', 'retries', '--collection', 'docs', '--rerank', 'acme/x']);
      expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringMatching(/^ragline: Unknown reranker "acme\/x": use cohere\/<model>/)]);
      const noBase = await run(['search', 'retries', '--collection', 'docs', '--rerank', 'http/x']);
      expect(noBase.stderr).toMatch(/needs RAGLINE_RERANK_BASE_URL/);
      const llm = await run(['search', 'retries', '--collection', 'docs', '--rerank', 'llm']);
      expect(llm.stderr).toMatch(/The LLM reranker needs a chat model that writes text; local\/extractive-v1 only quotes its sources/);
    });
  });
});
