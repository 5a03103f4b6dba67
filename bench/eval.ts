/**
 * `npm run eval`: retrieval quality of `search`. For each question set whose site is present, the
 * site is served on loopback, ingested into a scratch database with the chosen models, and every
 * question searched: hit@1 and hit@5 (the expected page among the top 1 / 5 chunks), MRR, and for
 * questions no page answers, how often the answerer says "I don't know".
 *
 *   npm run eval                      # offline local models
 *   OPENAI_BASE_URL=... npm run eval  # any OpenAI-compatible server (or the stand-in)
 *   EVAL_SEARCH='{"maxPerPage":0}' npm run eval   # other search options, to compare one change alone
 *   EVAL_SETS=drf-docs,lmfit-docs npm run eval    # only these question sets
 *   EVAL_RERANK=http/overlap-v1 RAGLINE_RERANK_BASE_URL=http://127.0.0.1:8787/v1 npm run eval  # with a reranker
 *   RAGLINE_CORPORA=/path/to/corpora npm run eval # where drf-docs and lmfit-docs are
 */
import { serveStatic } from '../src/net/static-server.js';
import { ingest, search, ask } from '../src/index.js';
import { defaultProvider, resolveChatModel, resolveEmbeddingModel, describeModels } from '../src/models/resolve.js';
import { DONT_KNOW } from '../src/models/local/extractive-chat.js';
import { isExpected, printTable, questionSets, scratchDatabase } from './common.js';
import type { SearchOptions } from '../src/retrieval/types.js';
import { resolveReranker } from '../src/models/rerank/resolve-reranker.js';

/** Search options from EVAL_SEARCH (JSON), applied to both search and ask. */
const searchOptions = JSON.parse(process.env.EVAL_SEARCH ?? '{}') as Omit<SearchOptions, 'k'>;
// EVAL_RERANK=http/overlap-v1 with RAGLINE_RERANK_BASE_URL: rerank (through the stand-in's /v1/rerank, say).
if (process.env.EVAL_RERANK) searchOptions.reranker = resolveReranker(process.env.EVAL_RERANK);
const onlySets = process.env.EVAL_SETS?.split(',').map((s) => s.trim());

async function main(): Promise<void> {
  const { provider, reason } = defaultProvider();
  const embedding = resolveEmbeddingModel(provider);
  const chat = resolveChatModel(provider);
  console.log(describeModels({ embedding, chat }, reason));
  if (process.env.EVAL_SEARCH || process.env.EVAL_RERANK) console.log(`search options: ${process.env.EVAL_SEARCH ?? ''} ${process.env.EVAL_RERANK ? `rerank ${process.env.EVAL_RERANK}` : ''}`);
  const { sets, missing } = questionSets();
  for (const m of missing) console.log(`skipped: ${m}`);
  const rows: Array<Array<string | number>> = [['set', 'pages', 'chunks', 'questions', 'hit@1', 'hit@5', 'MRR', 'answer cites page', "don't know (unanswerable)"]];
  for (const set of sets.filter((s) => !onlySets || onlySets.includes(s.name))) {
    const site = await serveStatic(set.root);
    const db = await scratchDatabase();
    try {
      const summary = await ingest({ db, source: site.url, collection: 'eval', embedding, crawl: { allowPrivateNetwork: true } });
      let hit1 = 0;
      let hit5 = 0;
      let rr = 0;
      let answerable = 0;
      let unanswerable = 0;
      let dontKnow = 0;
      let citesExpected = 0;
      const misses: string[] = [];
      for (const q of set.questions) {
        if (q.expect === null) {
          unanswerable++;
          const { answer } = await ask({ db, collection: 'eval', question: q.question, chat, search: searchOptions });
          if (answer.trim() === DONT_KNOW) dontKnow++;
          continue;
        }
        answerable++;
        const results = await search({ db, collection: 'eval', query: q.question, k: 5, ...searchOptions });
        const rank = results.findIndex((r) => isExpected(r.url, site.url, q.expect!)) + 1;
        if (rank === 1) hit1++;
        if (rank >= 1) {
          hit5++;
          rr += 1 / rank;
        } else misses.push(q.question);
        const answer = await ask({ db, collection: 'eval', question: q.question, chat, search: searchOptions });
        if (answer.sources.some((s) => s.cited && isExpected(s.url, site.url, q.expect!))) citesExpected++;
      }
      const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(0)}%`);
      rows.push([set.name, summary.documents, summary.chunks, answerable, pct(hit1, answerable), pct(hit5, answerable), (rr / Math.max(1, answerable)).toFixed(3), pct(citesExpected, answerable), unanswerable ? `${dontKnow}/${unanswerable}` : '-']);
      if (process.env.EVAL_VERBOSE) for (const m of misses) console.log(`  miss (${set.name}): ${m}`);
    } finally {
      await db.close();
      await site.close();
    }
  }
  printTable(rows);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
