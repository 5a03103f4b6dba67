/**
 * `node dist/bench/search-scale.js`: vector search at scale on the Postgres server — latency p50/p95
 * and recall@10 against exact search, for 100,000 chunks of 1536-d vectors in one collection:
 *
 *   HNSW ef_search 40 / 100    `searchChunks(..., { k: 10, mode: 'vector', efSearch })`, recall@10
 *                              against the exact top-10 by cosine distance
 *   HNSW filtered, ef 40       the same with `filter: { section }` matching 5% of the chunks
 *                              (pgvector 0.8's iterative scan): results returned, and recall
 *                              against the exact top-10 among those 5%
 *   exact (no index)           the same `searchChunks` on connections with `enable_indexscan = off`
 *                              (a sequential scan, as while a bulk load defers the index), plain and
 *                              filtered, on the first BENCH_EXACT_QUERIES queries; their recall
 *                              checks the ground truth (below) against the database's exact answer
 *
 * Searches run one at a time, after untimed warm-up searches. "missed all" counts the queries whose
 * results hold none of their true top-10: on clustered data HNSW fails whole queries (its search
 * ends in the wrong cluster) rather than losing a neighbour here and there. "plan" says whether the
 * searches used the HNSW index (pg_stat_user_indexes.idx_scan). (The planner used to pick an exact
 * sequential scan, ~1 s here, at ef_search 200: searchChunks now turns sequential scans off for
 * the vector query; BENCH_EF_SEARCH=40,100,200 shows ef 200 on the index.) Recall
 * varies by a point or two from run to run: the parallel build inserts in no fixed order, so the
 * graph differs.
 *
 * The chunks go in through the store's own write path — `replaceDocuments`, 20 chunks a page, 50
 * pages a write, binary COPY — into a collection whose HNSW index is dropped for the load
 * (`dropCollectionIndex`) and built afterwards (`buildCollectionIndex`), with pgvector's default
 * graph settings (m 16, ef_construction 64) unless set below. The build's own connection gets a
 * `maintenance_work_mem` that holds the whole graph (~0.7 GB here): with the server's default
 * (64 MB) pgvector builds the rest on disk, many times slower. Then `ANALYZE chunks`, as autovacuum
 * would after such a load.
 *
 * Data. Uniform random 1536-d vectors make every point nearly equidistant from every other, and
 * HNSW recall on them says little about embeddings of text, which have a low intrinsic dimension
 * and clusters at several scales. So the vectors are a deterministic (seeded) mixture: 50 random
 * topic directions; BENCH_CLUSTERS cluster centres, each its topic plus a random direction of 0.6
 * its length; each chunk its cluster's centre plus gaussian noise, mostly along 16 directions of
 * its own cluster and a little in all dimensions; normalised. Chunks pick their cluster at random.
 * The first line prints the mean cosine similarity of a query to its 1st and 10th nearest chunk, to
 * the 10th nearest of its section, and to a random chunk, to judge the data by. Recall depends on
 * how far apart the clusters are: with centres a whole topic-length from their topic (less overlap)
 * ef_search 40 found 0.91 instead of 0.95-0.97. Queries come from the same distribution and are not
 * stored rows. Every chunk has `metadata: { section: n % 20 }`; query q filters on section q % 20.
 * Texts are a dozen random words: keyword search is not measured.
 *
 * Ground truth: exact top-10 by cosine distance, computed in JS by brute force over the generated
 * float32 vectors (double-precision sums; ~30 G multiply-adds for 200 queries, 0.5-1 minute on one
 * core): one pass over the rows for all queries, filtered and unfiltered at once. It is independent
 * of the database; the exact rows show that the database agrees (pgvector sums in float32, so a
 * near-tie at rank 10 may rarely differ).
 *
 * Run time at the defaults: about 4 minutes on 2 shared cores — generating the data ~20 s, ground
 * truth ~40 s, the load ~20-30 s, the HNSW build (parallel, the server's
 * max_parallel_maintenance_workers) ~1.5 min, the searches ~40 s (exact ones ~1 s each). The
 * machine's load average is printed: the searches share the CPU with whatever else runs.
 *
 * Options (environment): DATABASE_URL (required: skipped without it), BENCH_SEARCH_ROWS (default
 * 100000), BENCH_DIMENSIONS (default 1536), BENCH_QUERIES (default 200), BENCH_EXACT_QUERIES
 * (default 20), BENCH_EF_SEARCH (default 40,100), BENCH_CLUSTERS (default 1000), BENCH_WARMUP
 * (untimed searches before each setting, default 20; 2 for exact), BENCH_MAINTENANCE_WORK_MEM (the
 * build's, default 1GB), BENCH_HNSW_M and BENCH_EF_CONSTRUCTION (the collection's graph settings,
 * default pgvector's).
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { buildCollectionIndex, collectionIndexName, dropCollectionIndex, ensureCollection, type Collection, type HnswSettings } from '../src/store/collections.js';
import { replaceDocuments } from '../src/store/documents.js';
import { searchChunks } from '../src/retrieval/search-chunks.js';
import type { SearchOptions, SearchResult } from '../src/retrieval/types.js';
import { createLexicalEmbedding } from '../src/models/local/lexical-embedding.js';
import type { EmbeddedChunk, EmbeddedDocument } from '../src/types.js';
import { percentile, printTable, scratchDatabase } from './common.js';
import { seededRandom } from '../test/support/seeded-random.js';

const ROWS = Number(process.env.BENCH_SEARCH_ROWS ?? 100_000);
const DIMENSIONS = Number(process.env.BENCH_DIMENSIONS ?? 1536);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 200);
const EXACT_QUERIES = Math.min(QUERIES, Number(process.env.BENCH_EXACT_QUERIES ?? 20));
const CLUSTERS = Number(process.env.BENCH_CLUSTERS ?? 1000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 20);
const EF_SEARCH = (process.env.BENCH_EF_SEARCH ?? '40,100').split(',').map(Number);
const MAINTENANCE_WORK_MEM = process.env.BENCH_MAINTENANCE_WORK_MEM ?? '1GB';
const HNSW: HnswSettings = {
  ...(process.env.BENCH_HNSW_M ? { m: Number(process.env.BENCH_HNSW_M) } : {}),
  ...(process.env.BENCH_EF_CONSTRUCTION ? { efConstruction: Number(process.env.BENCH_EF_CONSTRUCTION) } : {}),
};

const K = 10;
const PER_PAGE = 20;
const BATCH_PAGES = 50;
const SECTIONS = 20;
const TOPICS = 50;
/** Noise directions of each cluster, and the noise's size along them and in all dimensions. */
const LOCAL_DIRECTIONS = 16;
const LOCAL_NOISE = 0.8;
const GLOBAL_NOISE = 0.4;
/** How far a cluster centre strays from its topic (cosine centre-topic ≈ 0.86, between a topic's centres ≈ 0.74). */
const CENTRE_SPREAD = 0.6;

const WORDS = 'the of and to in is for on with as by that this from are be it an or at which can each page chunk vector search index server query token model embed store write read table column row batch copy binary text value result'.split(' ');

/** Standard normal numbers from `rand` (Box-Muller, both values used). */
function gaussian(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - rand();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * rand();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  const f = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! *= f;
  return v;
}

function randomUnit(gauss: () => number, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = gauss();
  return normalise(out);
}

/** The clustered distribution: its centres and each cluster's noise directions. */
class Mixture {
  readonly centres: Float32Array;
  readonly directions: Float32Array;

  constructor(seed: number) {
    const gauss = gaussian(seededRandom(seed));
    const d = DIMENSIONS;
    const topics = new Float32Array(TOPICS * d);
    for (let t = 0; t < TOPICS; t++) randomUnit(gauss, topics.subarray(t * d, (t + 1) * d));
    this.centres = new Float32Array(CLUSTERS * d);
    const stray = new Float32Array(d);
    for (let c = 0; c < CLUSTERS; c++) {
      const centre = this.centres.subarray(c * d, (c + 1) * d);
      randomUnit(gauss, stray);
      const topic = topics.subarray((c % TOPICS) * d, ((c % TOPICS) + 1) * d);
      for (let i = 0; i < d; i++) centre[i] = topic[i]! + CENTRE_SPREAD * stray[i]!;
      normalise(centre);
    }
    this.directions = new Float32Array(CLUSTERS * LOCAL_DIRECTIONS * d);
    for (let j = 0; j < CLUSTERS * LOCAL_DIRECTIONS; j++) randomUnit(gauss, this.directions.subarray(j * d, (j + 1) * d));
  }

  /** Write one point of cluster `c` into `out`. */
  sample(c: number, gauss: () => number, out: Float32Array): void {
    const d = DIMENSIONS;
    const centre = this.centres.subarray(c * d, (c + 1) * d);
    const isotropic = GLOBAL_NOISE / Math.sqrt(d);
    for (let i = 0; i < d; i++) out[i] = centre[i]! + isotropic * gauss();
    const local = LOCAL_NOISE / Math.sqrt(LOCAL_DIRECTIONS);
    for (let j = 0; j < LOCAL_DIRECTIONS; j++) {
      const z = local * gauss();
      const o = (c * LOCAL_DIRECTIONS + j) * d;
      for (let i = 0; i < d; i++) out[i]! += z * this.directions[o + i]!;
    }
    normalise(out);
  }
}

/** `count` points of the mixture, clusters drawn uniformly, in one buffer of count × DIMENSIONS. */
function samples(mixture: Mixture, count: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const gauss = gaussian(seededRandom(seed + 1));
  const out = new Float32Array(count * DIMENSIONS);
  for (let n = 0; n < count; n++) mixture.sample(Math.floor(rand() * CLUSTERS), gauss, out.subarray(n * DIMENSIONS, (n + 1) * DIMENSIONS));
  return out;
}

/** The ten (K) nearest so far, sorted by distance: row indices and cosine distances. */
class TopK {
  readonly rows = new Int32Array(K).fill(-1);
  readonly distances = new Float64Array(K).fill(Infinity);

  get worst(): number {
    return this.distances[K - 1]!;
  }

  add(row: number, distance: number): void {
    let i = K - 1;
    while (i > 0 && this.distances[i - 1]! > distance) {
      this.distances[i] = this.distances[i - 1]!;
      this.rows[i] = this.rows[i - 1]!;
      i--;
    }
    this.distances[i] = distance;
    this.rows[i] = row;
  }
}

function norms(vectors: Float32Array, count: number): Float64Array {
  const out = new Float64Array(count);
  for (let n = 0; n < count; n++) {
    let s = 0;
    for (let i = n * DIMENSIONS; i < (n + 1) * DIMENSIONS; i++) s += vectors[i]! * vectors[i]!;
    out[n] = Math.sqrt(s);
  }
  return out;
}

/**
 * Exact top-K by cosine distance for every query, over all rows and over the rows of the query's
 * section: one pass over the rows (each read once from memory), each row against four queries at
 * a time (one load of the row's value for four multiply-adds).
 */
function groundTruth(rows: Float32Array, queries: Float32Array): { all: TopK[]; filtered: TopK[] } {
  const d = DIMENSIONS;
  const rowNorms = norms(rows, ROWS);
  const queryNorms = norms(queries, QUERIES);
  const all = Array.from({ length: QUERIES }, () => new TopK());
  const filtered = Array.from({ length: QUERIES }, () => new TopK());
  // Queries padded with zeros to a multiple of four; the padding's results are ignored.
  const blocks = Math.ceil(QUERIES / 4);
  const padded = new Float32Array(blocks * 4 * d);
  padded.set(queries);
  const sums = new Float64Array(4);
  for (let r = 0; r < ROWS; r++) {
    const row = rows.subarray(r * d, (r + 1) * d);
    const section = r % SECTIONS;
    for (let b = 0; b < blocks; b++) {
      const q0 = 4 * b * d;
      const q1 = q0 + d;
      const q2 = q1 + d;
      const q3 = q2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < d; i++) {
        const x = row[i]!;
        s0 += x * padded[q0 + i]!;
        s1 += x * padded[q1 + i]!;
        s2 += x * padded[q2 + i]!;
        s3 += x * padded[q3 + i]!;
      }
      sums[0] = s0;
      sums[1] = s1;
      sums[2] = s2;
      sums[3] = s3;
      for (let j = 0; j < 4; j++) {
        const q = 4 * b + j;
        if (q >= QUERIES) break;
        const distance = 1 - sums[j]! / (rowNorms[r]! * queryNorms[q]!);
        if (distance < all[q]!.worst) all[q]!.add(r, distance);
        if (q % SECTIONS === section && distance < filtered[q]!.worst) filtered[q]!.add(r, distance);
      }
    }
  }
  return { all, filtered };
}

const pageUrl = (p: number) => `https://docs.example.com/page-${p}`;

/** Pages `from` to `to` (exclusive) of the rows, their vectors views into `vectors`. */
function pages(vectors: Float32Array, from: number, to: number, rand: () => number): EmbeddedDocument[] {
  const out: EmbeddedDocument[] = [];
  for (let p = from; p < to && p * PER_PAGE < ROWS; p++) {
    const url = pageUrl(p);
    const chunks: EmbeddedChunk[] = [];
    for (let i = 0; i < PER_PAGE && p * PER_PAGE + i < ROWS; i++) {
      const n = p * PER_PAGE + i;
      const text = Array.from({ length: 12 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
      chunks.push({
        url,
        title: `Page ${p}`,
        ordinal: i,
        text,
        headingPath: [`Page ${p}`, `Section ${i}`],
        embeddingInput: text,
        tokenCount: 12,
        textHash: createHash('sha256').update(String(n)).digest('hex'),
        metadata: { section: n % SECTIONS },
        embedding: vectors.subarray(n * DIMENSIONS, (n + 1) * DIMENSIONS),
      });
    }
    out.push({
      document: { url, title: `Page ${p}`, contentType: 'text/html', fetchedAt: new Date(), blocks: [], contentHash: String(p) },
      chunks,
      cachedChunks: 0,
      embeddedTokens: 0,
    });
  }
  return out;
}

/** The row a search result is: its page and position in the page. */
function rowOf(r: SearchResult): number {
  const page = Number(/page-(\d+)$/.exec(r.url)![1]);
  return page * PER_PAGE + r.ordinal;
}

/** Searches that used the index so far, as the server counts them: each pool has one connection. */
async function indexScans(pool: pg.Pool, index: string): Promise<number | undefined> {
  try {
    // Statistics reach the shared counters when the backend goes idle, at most once a second
    // unless forced: force this backend's, so the count is exact.
    await pool.query('SELECT pg_stat_force_next_flush()');
    const { rows } = await pool.query<{ n: string }>('SELECT idx_scan AS n FROM pg_stat_user_indexes WHERE indexrelname = $1', [index]);
    return rows[0] ? Number(rows[0].n) : undefined;
  } catch {
    return undefined; // before Postgres 15
  }
}

interface Measured {
  p50: number;
  p95: number;
  recall: number;
  /** Queries whose results hold none of their true top-K. */
  missedAll: number;
  minResults: number;
  meanResults: number;
  plan: string;
}

async function measure(
  pool: pg.Pool,
  collection: Collection,
  queries: Float32Array,
  count: number,
  truth: TopK[],
  options: (q: number) => SearchOptions,
  warmup = WARMUP,
): Promise<Measured> {
  const vector = (q: number) => queries.subarray(q * DIMENSIONS, (q + 1) * DIMENSIONS);
  const search = (q: number) => searchChunks(pool, collection, { vector: vector(q), text: '' }, { k: K, mode: 'vector', ...options(q) });
  for (let q = 0; q < Math.min(warmup, count); q++) await search(q);
  const index = collectionIndexName(collection);
  const before = await indexScans(pool, index);
  const latencies: number[] = [];
  let found = 0;
  let missedAll = 0;
  const counts: number[] = [];
  for (let q = 0; q < count; q++) {
    const t = performance.now();
    const results = await search(q);
    latencies.push(performance.now() - t);
    counts.push(results.length);
    const expected = new Set(truth[q]!.rows);
    const hits = results.filter((r) => expected.has(rowOf(r))).length;
    found += hits;
    if (hits === 0) missedAll++;
  }
  const after = await indexScans(pool, index);
  const scans = before === undefined || after === undefined ? undefined : after - before;
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    recall: found / (K * count),
    missedAll,
    minResults: Math.min(...counts),
    meanResults: counts.reduce((a, b) => a + b, 0) / count,
    plan: scans === undefined ? '?' : scans === 0 ? 'no index' : scans >= count ? 'hnsw' : `hnsw ${scans}/${count}`,
  };
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t = performance.now();
  const result = await fn();
  return [result, (performance.now() - t) / 1000];
}

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    console.log('bench:search-scale skipped: DATABASE_URL is not set (it measures search on a Postgres server).');
    return;
  }
  const started = performance.now();
  console.log(`load average at start (1, 5, 15 min): ${load()} on ${os.cpus().length} cores`);

  const [data, genS] = await timed(() => {
    const mixture = new Mixture(1);
    return { rows: samples(mixture, ROWS, 2), queries: samples(mixture, QUERIES, 3) };
  });
  const [truth, truthS] = await timed(() => groundTruth(data.rows, data.queries));
  const sim = (f: (q: number) => number) => {
    let s = 0;
    for (let q = 0; q < QUERIES; q++) s += 1 - f(q);
    return (s / QUERIES).toFixed(2);
  };
  const randomRow = seededRandom(4);
  const randomSim = () => {
    let s = 0;
    for (let q = 0; q < QUERIES; q++) {
      const r = Math.floor(randomRow() * ROWS);
      let dot = 0;
      for (let i = 0; i < DIMENSIONS; i++) dot += data.rows[r * DIMENSIONS + i]! * data.queries[q * DIMENSIONS + i]!;
      s += dot;
    }
    return (s / QUERIES).toFixed(2);
  };
  console.log(
    `${ROWS} chunks of ${DIMENSIONS}-d vectors in ${CLUSTERS} clusters of ${TOPICS} topics, ${QUERIES} queries (generated in ${genS.toFixed(1)} s); ` +
      `cosine similarity of a query to its 1st / 10th nearest chunk ${sim((q) => truth.all[q]!.distances[0]!)} / ${sim((q) => truth.all[q]!.distances[K - 1]!)}, ` +
      `10th nearest in its section ${sim((q) => truth.filtered[q]!.distances[K - 1]!)}, a random chunk ${randomSim()}`,
  );
  console.log(`ground truth: exact top-${K} by brute force in JS, ${truthS.toFixed(1)} s`);

  const db = await scratchDatabase(serverUrl, { maxConnections: 2 });
  const url = db.url!;
  // One connection each, so that the index-scan counts are the searches' own (see indexScans).
  const searchPool = new pg.Pool({ connectionString: url, max: 1 });
  const exactPool = new pg.Pool({ connectionString: url, max: 1, options: '-c enable_indexscan=off' });
  const buildPool = new pg.Pool({ connectionString: url, max: 1, options: `-c maintenance_work_mem=${MAINTENANCE_WORK_MEM}` });
  for (const p of [searchPool, exactPool, buildPool]) p.on('error', () => undefined);
  try {
    const model = createLexicalEmbedding({ dimensions: DIMENSIONS }); // only its record: the rows bring their vectors
    const collection = await ensureCollection(db.pool, 'search-scale', model, { index: HNSW });
    await dropCollectionIndex(db.pool, collection);

    const rand = seededRandom(5);
    const pageCount = Math.ceil(ROWS / PER_PAGE);
    const [, loadS] = await timed(async () => {
      for (let p = 0; p < pageCount; p += BATCH_PAGES) await replaceDocuments(db.pool, collection, pages(data.rows, p, p + BATCH_PAGES, rand), 'bench');
    });
    const { rows: counted } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM chunks WHERE collection_id = $1', [collection.id]);
    if (counted[0]!.n !== ROWS) throw new Error(`the collection holds ${counted[0]!.n} chunks, expected ${ROWS}`);
    const [, analyzeS] = await timed(() => db.pool.query('ANALYZE chunks'));

    const { rows: settings } = await buildPool.query<{ mwm: string; workers: string }>(
      `SELECT current_setting('maintenance_work_mem') AS mwm, current_setting('max_parallel_maintenance_workers') AS workers`,
    );
    const [built, buildS] = await timed(() => buildCollectionIndex(buildPool, collection));
    if (!built) throw new Error('buildCollectionIndex built nothing');
    const { rows: size } = await db.pool.query<{ size: string }>('SELECT pg_size_pretty(pg_relation_size($1::regclass)) AS size', [collectionIndexName(collection)]);

    console.log(
      `load: ${ROWS} chunks by replaceDocuments (${PER_PAGE} chunks a page, ${BATCH_PAGES} pages a write, no index) in ${loadS.toFixed(1)} s, ${Math.round(ROWS / loadS)} rows/s; ANALYZE ${analyzeS.toFixed(1)} s`,
    );
    console.log(
      `HNSW build: buildCollectionIndex ${buildS.toFixed(1)} s (m ${HNSW.m ?? 16}, ef_construction ${HNSW.efConstruction ?? 64}; maintenance_work_mem ${settings[0]!.mwm}, ` +
        `max_parallel_maintenance_workers ${settings[0]!.workers}); index ${size[0]!.size}`,
    );
    console.log(`searches: searchChunks k ${K}, mode vector, one at a time, after ${WARMUP} untimed (exact: 2); load average now ${load()}\n`);

    const filter = (q: number) => ({ section: q % SECTIONS });
    const runs: Array<[string, number, Measured]> = [];
    for (const efSearch of EF_SEARCH) {
      runs.push([`HNSW ef_search ${efSearch}`, QUERIES, await measure(searchPool, collection, data.queries, QUERIES, truth.all, () => ({ efSearch }))]);
    }
    runs.push([`HNSW ef_search 40, filter 1/${SECTIONS} (section)`, QUERIES, await measure(searchPool, collection, data.queries, QUERIES, truth.filtered, (q) => ({ efSearch: 40, filter: filter(q) }))]);
    runs.push([`exact (enable_indexscan off)`, EXACT_QUERIES, await measure(exactPool, collection, data.queries, EXACT_QUERIES, truth.all, () => ({}), 2)]);
    runs.push([`exact, filter 1/${SECTIONS}`, EXACT_QUERIES, await measure(exactPool, collection, data.queries, EXACT_QUERIES, truth.filtered, (q) => ({ filter: filter(q) }), 2)]);

    printTable([
      ['setting', 'queries', 'p50 ms', 'p95 ms', `recall@${K}`, 'missed all', 'results (min/mean)', 'plan'],
      ...runs.map(([name, n, m]) => [name, n, m.p50.toFixed(1), m.p95.toFixed(1), m.recall.toFixed(3), m.missedAll, `${m.minResults}/${m.meanResults.toFixed(1)}`, m.plan]),
    ]);
    console.log(`\nmissed all: queries whose ${K} results hold none of their true top-${K} (presumably the search ended in a wrong cluster)`);
    console.log(`recall of the exact rows: the database's exact answer against the JS ground truth (1.000 = they agree)`);
    console.log(`load average at end: ${load()}; total ${((performance.now() - started) / 60_000).toFixed(1)} min`);
  } finally {
    await Promise.all([searchPool.end(), exactPool.end(), buildPool.end()]);
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
