/**
 * `npm run bench:ingest` (and the first part of `npm run bench`): ingest wall time and chunks/s for documentation sites through the OpenAI
 * stand-in (with a fixed per-request latency), the request count of a second, unchanged ingest,
 * and search latency p50/p95 — on the embedded database, and on the server when DATABASE_URL is set.
 */
import { serveStatic } from '../src/net/static-server.js';
import { ingest, search } from '../src/index.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { startOpenAIStandIn } from '../test/stand-in/openai-stand-in.js';
import { percentile, printTable, questionSets, scratchDatabase } from './common.js';

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 50);

async function main(): Promise<void> {
  const standIn = await startOpenAIStandIn({ latencyMs: LATENCY_MS });
  const fastStandIn = await startOpenAIStandIn();
  const { sets, missing } = questionSets();
  for (const m of missing) console.log(`skipped: ${m}`);
  const backends: Array<[string, string | undefined]> = [['embedded', undefined]];
  if (process.env.DATABASE_URL) backends.push(['server', process.env.DATABASE_URL]);
  else console.log('server: skipped (DATABASE_URL not set)');
  console.log(`stand-in latency ${LATENCY_MS} ms per request for ingest; search embeds questions with no added latency\n`);

  const rows: Array<Array<string | number>> = [['site', 'store', 'pages', 'chunks', 'ingest s', 'chunks/s', 'requests', 're-ingest s', 're-ingest requests', 'search p50 ms', 'search p95 ms']];
  for (const set of sets) {
    const site = await serveStatic(set.root);
    for (const [store, url] of backends) {
      const db = await scratchDatabase(url);
      const collection = `bench-${set.name}-${Date.now()}`;
      try {
        const embedding = createOpenAIEmbedding({ apiKey: 'bench', baseURL: standIn.url });
        const calls = () => standIn.requests.filter((r) => r.path === '/v1/embeddings').length;
        standIn.requests.length = 0;
        const first = await ingest({ db, source: site.url, collection, embedding, crawl: { allowPrivateNetwork: true } });
        const firstCalls = calls();
        standIn.requests.length = 0;
        const second = await ingest({ db, source: site.url, collection, embedding, crawl: { allowPrivateNetwork: true } });
        const secondCalls = calls();

        const connection = { apiKey: 'bench', baseURL: fastStandIn.url };
        const latencies: number[] = [];
        const questions = set.questions.map((q) => q.question);
        for (const q of questions.slice(0, 3)) await search({ db, collection, query: q, connection }); // warm-up
        for (let round = 0; round < 3; round++) {
          for (const q of questions) {
            const t = performance.now();
            await search({ db, collection, query: q, connection, k: 5 });
            latencies.push(performance.now() - t);
          }
        }
        rows.push([
          set.name,
          store,
          first.documents,
          first.chunks,
          (first.ms / 1000).toFixed(2),
          Math.round(first.chunks / (first.ms / 1000)),
          firstCalls,
          (second.ms / 1000).toFixed(2),
          secondCalls,
          percentile(latencies, 50).toFixed(1),
          percentile(latencies, 95).toFixed(1),
        ]);
      } finally {
        await db.close();
      }
    }
    await site.close();
  }
  await standIn.close();
  await fastStandIn.close();
  printTable(rows);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
