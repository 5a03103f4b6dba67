/**
 * Embedding at the rate limit: ~1.5M tokens of generated chunks through the embed and store stages
 * against the OpenAI stand-in set to 150,000 TPM and 100 RPM with realistic latency.
 *
 *   node dist/bench/embed-rate.js [clean|faults|short|both|all] [--tokens 1500000] [--latency 300] [--cases 0.6,1.2,3,10]
 *
 * `short` (and `all`) runs short jobs of 0.6, 1.2, 3 and 10 budget-minutes (tokens ÷ TPM)
 * against a stand-in at SHORT_TPM tokens a minute, each with fresh budgets, and prints wall time ÷
 * the bound 60·(T/TPM − 1) s (or the RPM bound, if higher): what the limits require once the first
 * minute's budget, there at the start, is spent. A job within the first minute's budget has bound 0:
 * its wall time is shown alone. Target: every ratio ≤ 1.1, at most one 429.
 *
 * `clean` reports wall time ÷ the lower bound set by the limits, the 429s received, and the requests
 * of a second, unchanged run; `faults` runs the same ingest with random faults on 20% of the requests
 * (429 with and without retry-after, 500, 503, slow answers) and checks nothing was lost.
 */
import { createHash } from 'node:crypto';
import { startOpenAIStandIn, featureHashEmbedding, type OpenAIStandIn } from '../test/stand-in/openai-stand-in.js';
import { createOpenAIEmbedding } from '../src/models/openai/embedding.js';
import { sharedRateLimiter } from '../src/models/openai/rate-limiter.js';
import { embed } from '../src/stages/embed.js';
import { store } from '../src/stages/store.js';
import { pipe } from '../src/iter/pipe.js';
import { getTokenizer } from '../src/models/tokenizer.js';
import { ensureCollection } from '../src/store/collections.js';
import { findCachedEmbeddings } from '../src/store/documents.js';
import { fromVectorText } from '../src/store/vector-sql.js';
import { embeddingCost, formatUsd } from '../src/models/cost.js';
import type { Chunk, ChunkedDocument } from '../src/types.js';
import type { Database } from '../src/store/database.js';
import { scratchDatabase } from './common.js';
import { seededRandom } from '../test/support/seeded-random.js';

const TPM = 150_000;
const RPM = 100;
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const scenario = args.find((a) => !a.startsWith('--') && !/^\d/.test(a)) ?? 'both';
const TARGET_TOKENS = flag('tokens', 1_500_000);
const LATENCY_MS = flag('latency', 300);
const MODEL = 'text-embedding-3-small';

const tokenizer = getTokenizer('cl100k_base');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const WORDS =
  'queue worker retry schedule backoff cron timezone metric export dashboard upgrade migration release latency throughput budget token request limit vector index search chunk embed store page crawl extract heading section paragraph sentence answer question source citation cache hash model dimension batch window concurrency permit header minute second reset remaining'.split(
    ' ',
  );

/** Documents of ten chunks of about 500 tokens each, distinct texts, `target` tokens in all. */
function generate(target: number): { docs: ChunkedDocument[]; tokens: number; chunks: number } {
  const random = seededRandom(42);
  const docs: ChunkedDocument[] = [];
  let tokens = 0;
  let chunks = 0;
  for (let d = 0; tokens < target; d++) {
    const url = `https://bench.test/doc/${d}`;
    const list: Chunk[] = [];
    for (let c = 0; c < 10 && tokens < target; c++) {
      const words: string[] = [`Document ${d} section ${c}.`];
      for (let w = 0; w < 440; w++) words.push(WORDS[Math.floor(random() * WORDS.length)]!);
      const text = words.join(' ');
      const count = tokenizer.count(text);
      list.push({ url, title: `Doc ${d}`, ordinal: c, text, headingPath: [], embeddingInput: text, tokenCount: count, textHash: sha(text), metadata: {} });
      tokens += count;
      chunks++;
    }
    docs.push({
      document: { url, title: `Doc ${d}`, contentType: 'text/plain', fetchedAt: new Date(), blocks: [], contentHash: sha(url) },
      chunks: list,
    });
  }
  return { docs, tokens, chunks };
}

async function* from<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

interface RunResult {
  ms: number;
  requests: number;
  status: Record<string, number>;
  embeddedTokens: number;
  usageTokens: number;
}

async function ingestOnce(db: Database, standIn: OpenAIStandIn, docs: ChunkedDocument[], apiKey: string): Promise<RunResult> {
  const model = createOpenAIEmbedding({ apiKey, baseURL: standIn.url, model: MODEL, maxRetries: 20 });
  const collection = await ensureCollection(db.pool, 'bench', model);
  const before = standIn.requests.length;
  let embeddedTokens = 0;
  let usageTokens = 0;
  const started = performance.now();
  const stored = pipe(
    from(docs),
    (s) =>
      embed(s, {
        model,
        cache: (hashes) => findCachedEmbeddings(db.pool, model, hashes),
        onRequest: (e) => (usageTokens += e.tokens),
      }),
    (s) => store(s, { pool: db.pool, collection, chunking: 'bench' }),
  );
  for await (const doc of stored) embeddedTokens += doc.embeddedTokens;
  const ms = performance.now() - started;
  const calls = standIn.requests.slice(before).filter((r) => r.path === '/v1/embeddings');
  const status: Record<string, number> = {};
  for (const r of calls) status[r.status] = (status[r.status] ?? 0) + 1;
  return { ms, requests: calls.length, status, embeddedTokens, usageTokens };
}

/** Every chunk is stored once, with the vector the stand-in computes for its text. */
async function verifyStored(db: Database, docs: ChunkedDocument[]): Promise<{ chunks: number; expected: number; wrong: number }> {
  const { rows } = await db.pool.query<{ text: string; embedding: string }>('SELECT text, embedding::text AS embedding FROM chunks');
  let wrong = 0;
  for (const r of rows) {
    const got = fromVectorText(r.embedding);
    const want = featureHashEmbedding(r.text, 1536);
    for (let i = 0; i < want.length; i++) {
      if (Math.abs(got[i]! - want[i]!) > 1e-6) {
        wrong++;
        break;
      }
    }
  }
  return { chunks: rows.length, expected: docs.reduce((n, d) => n + d.chunks.length, 0), wrong };
}

const minutes = (ms: number) => `${(ms / 60_000).toFixed(2)} min`;

async function clean(docs: ChunkedDocument[], tokens: number): Promise<void> {
  const standIn = await startOpenAIStandIn({ rpm: RPM, tpm: TPM, latencyMs: LATENCY_MS });
  const db = await scratchDatabase();
  try {
    const first = await ingestOnce(db, standIn, docs, 'bench-clean');
    const limiter = sharedRateLimiter({ apiKey: 'bench-clean', baseURL: standIn.url, model: MODEL });
    // The limits allow TPM tokens a minute; starting with a full bucket, the first minute's worth is free.
    const boundMs = Math.max(tokens / TPM, first.requests / RPM) * 60_000;
    const strictBoundMs = Math.max((tokens - TPM) / TPM, (first.requests - RPM) / RPM) * 60_000;
    const second = await ingestOnce(db, standIn, docs, 'bench-clean');
    const check = await verifyStored(db, docs);
    const cost = embeddingCost(MODEL, first.usageTokens);
    console.log(`clean run: ${tokens.toLocaleString('en-US')} tokens in ${docs.length} documents, ${TPM.toLocaleString('en-US')} TPM, ${RPM} RPM, latency ${LATENCY_MS} ms`);
    console.log(`  wall time            ${minutes(first.ms)}`);
    console.log(`  lower bound          ${minutes(boundMs)} (tokens ÷ TPM) → ratio ${(first.ms / boundMs).toFixed(3)}`);
    console.log(`  strict lower bound   ${minutes(strictBoundMs)} (the first minute's budget is there at the start) → ratio ${(first.ms / strictBoundMs).toFixed(3)}`);
    console.log(`  requests             ${first.requests} (${JSON.stringify(first.status)})`);
    console.log(`  429s received        ${first.status['429'] ?? 0}`);
    console.log(`  tokens billed        ${first.usageTokens.toLocaleString('en-US')} (${cost === undefined ? 'price unknown' : formatUsd(cost)})`);
    console.log(`  learned budgets      ${limiter.requestsPerMinute} RPM, ${limiter.tokensPerMinute} TPM`);
    console.log(`  second, unchanged run: ${second.requests} requests in ${(second.ms / 1000).toFixed(1)} s`);
    console.log(`  stored               ${check.chunks} of ${check.expected} chunks, ${check.wrong} with a wrong vector`);
  } finally {
    await Promise.all([db.close(), standIn.close()]);
  }
}

async function faults(docs: ChunkedDocument[], tokens: number): Promise<void> {
  const standIn = await startOpenAIStandIn({ rpm: RPM, tpm: TPM, latencyMs: LATENCY_MS, faultRate: 0.2, seed: 7 });
  const db = await scratchDatabase();
  try {
    const run = await ingestOnce(db, standIn, docs, 'bench-faults');
    const injected: Record<string, number> = {};
    for (const r of standIn.requests) if (r.fault) injected[r.fault.kind] = (injected[r.fault.kind] ?? 0) + 1;
    const check = await verifyStored(db, docs);
    console.log(`faults run: same ${tokens.toLocaleString('en-US')} tokens, random faults on 20% of requests`);
    console.log(`  wall time            ${minutes(run.ms)} (lower bound ${minutes((tokens / TPM) * 60_000)})`);
    console.log(`  requests             ${run.requests} (${JSON.stringify(run.status)})`);
    console.log(`  faults injected      ${JSON.stringify(injected)}`);
    console.log(`  stored               ${check.chunks} of ${check.expected} chunks, ${check.wrong} with a wrong vector → ${check.chunks === check.expected && check.wrong === 0 ? 'nothing lost' : 'LOST DATA'}`);
  } finally {
    await Promise.all([db.close(), standIn.close()]);
  }
}

const SHORT_TPM = 30_000;
const CASES = (() => {
  const i = args.indexOf('--cases');
  return (i >= 0 ? args[i + 1]! : '0.6,1.2,3,10').split(',').map(Number);
})();

/** Short jobs at the limits: wall time against what the limits require. */
async function short(): Promise<void> {
  console.log(`short jobs: ${SHORT_TPM.toLocaleString('en-US')} TPM, ${RPM} RPM, latency ${LATENCY_MS} ms, each with fresh budgets`);
  console.log('  budget-min  tokens   requests  429s  wall s  bound s  ratio');
  for (const minutesOfBudget of CASES) {
    const { docs, tokens } = generate(minutesOfBudget * SHORT_TPM);
    const standIn = await startOpenAIStandIn({ rpm: RPM, tpm: SHORT_TPM, latencyMs: LATENCY_MS });
    const db = await scratchDatabase();
    try {
      const run = await ingestOnce(db, standIn, docs, `bench-short-${minutesOfBudget}-${Date.now()}`);
      const boundS = Math.max(0, 60 * (tokens / SHORT_TPM - 1), 60 * (run.requests / RPM - 1));
      const ratio = boundS > 0 ? (run.ms / 1000 / boundS).toFixed(3) : '(within the first minute)';
      console.log(
        `  ${String(minutesOfBudget).padStart(10)}  ${String(tokens).padStart(7)}  ${String(run.requests).padStart(8)}  ${String(run.status['429'] ?? 0).padStart(4)}  ${(run.ms / 1000).toFixed(1).padStart(6)}  ${boundS.toFixed(1).padStart(7)}  ${ratio}`,
      );
    } finally {
      await Promise.all([db.close(), standIn.close()]);
    }
  }
}

async function main(): Promise<void> {
  if (scenario === 'short' || scenario === 'all') await short();
  if (scenario === 'short') return;
  const { docs, tokens, chunks } = generate(TARGET_TOKENS);
  console.log(`generated ${docs.length} documents, ${chunks} chunks, ${tokens.toLocaleString('en-US')} tokens`);
  if (scenario === 'clean' || scenario === 'both' || scenario === 'all') await clean(docs, tokens);
  if (scenario === 'faults' || scenario === 'both' || scenario === 'all') await faults(docs, tokens);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
