/**
 * Keeping served collections fresh from inside the server: each crawled collection is crawled
 * again from its start URLs, incrementally (conditional requests; only changed pages are
 * re-embedded), one collection at a time, on the server's own open database. The embedded store
 * is single-process, so this is the only way to refresh it while `serve` runs; questions keep
 * being answered meanwhile, since the refresh is just more queries on the same pool.
 */
import { ingest, type IngestOptions, type IngestSummary } from '../core/ingest.js';
import { queryEmbeddingModel, type EmbeddingChoice } from '../core/search.js';
import type { OpenAIConnectionOptions } from '../models/openai/client.js';
import type { Database } from '../store/database.js';
import { getCollection, type Collection } from '../store/collections.js';
import { ConfigError, RaglineError } from '../errors.js';
import { withoutCredentials } from '../crawl/normalize-url.js';
import { enqueueJobs, hasPendingJobsFor, type JobIngestOptions } from '../jobs/queue.js';
import { HttpError } from './http.js';
import type { ServedCollections } from './served.js';

/** The ingest options a refresh uses (the crawl flags `serve` accepts). */
export type RefreshIngestOptions = Partial<Pick<IngestOptions, 'crawl' | 'chunk' | 'embed' | 'metadata'>>;

/** Options of the refresher. */
export interface RefreshOptions {
  /**
   * Refresh every served crawled collection this long after the previous round ended.
   * @default never (only on request)
   */
  everyMs?: number;
  /** Crawl, chunk and embed options of the re-crawls (they should match the original ingest's). */
  ingest?: RefreshIngestOptions;
  /**
   * Queue each refresh as `site` jobs with these settings, for `ragline worker` to run, instead of
   * running it in this process. Postgres only (workers cannot open the embedded store).
   */
  jobs?: JobIngestOptions;
  /** One line per refresh started and ended. */
  log?: (line: string) => void;
}

/** The outcome of one start URL's re-crawl. */
export interface RefreshSourceResult {
  source: string;
  summary?: IngestSummary;
  /** The job queued for it, when refreshes are queued for workers. */
  jobId?: number;
  error?: string;
}

/** What `GET /api/collections/{name}` shows of a collection's refreshes. */
export interface RefreshStatus {
  /** Whether the collection was ingested from a website (only those can be refreshed). */
  refreshable: boolean;
  state: 'idle' | 'queued' | 'running';
  lastStartedAt?: string;
  lastFinishedAt?: string;
  /** When the next scheduled refresh starts (absent without `everyMs`). */
  nextAt?: string;
  /** Every start URL's summary (or error) of the last refresh. */
  last?: RefreshSourceResult[];
}

interface Record {
  lastStartedAt?: Date;
  lastFinishedAt?: Date;
  last?: RefreshSourceResult[];
}

/** Start URLs a collection was crawled from, the most recent last. */
async function startUrlsOf(db: Database, collection: Collection): Promise<string[]> {
  const { rows } = await db.pool.query<{ start_url: string }>(
    'SELECT start_url FROM crawl_runs WHERE collection_id = $1 GROUP BY start_url ORDER BY max(id)',
    [collection.id],
  );
  return rows.map((r) => r.start_url);
}

/** Refreshes served collections, one at a time, on a schedule and on request. */
export class Refresher {
  readonly #records = new Map<string, Record>();
  readonly #queue: string[] = [];
  #running: string | undefined;
  #drain: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #nextAt: Date | undefined;
  readonly #stop = new AbortController();

  constructor(
    private readonly db: Database,
    private readonly served: ServedCollections,
    private readonly embedding: EmbeddingChoice | undefined,
    private readonly connection: OpenAIConnectionOptions,
    private readonly options: RefreshOptions = {},
  ) {
    if (options.jobs && db.kind !== 'postgres') {
      throw new ConfigError('jobs', true, 'Refreshes can be queued as jobs only on a Postgres server (DATABASE_URL): on the embedded store the server refreshes itself.');
    }
  }

  /** Start the schedule (no-op without `everyMs`). */
  start(): void {
    this.#schedule();
  }

  /** A collection's refresh state. */
  async status(collection: Collection): Promise<RefreshStatus> {
    const record = this.#records.get(collection.name) ?? {};
    const state = this.#running === collection.name ? 'running' : this.#queue.includes(collection.name) ? 'queued' : 'idle';
    const refreshable = (await startUrlsOf(this.db, collection)).length > 0;
    return {
      refreshable,
      state,
      ...(record.lastStartedAt ? { lastStartedAt: record.lastStartedAt.toISOString() } : {}),
      ...(record.lastFinishedAt ? { lastFinishedAt: record.lastFinishedAt.toISOString() } : {}),
      ...(this.#nextAt && refreshable ? { nextAt: this.#nextAt.toISOString() } : {}),
      ...(record.last ? { last: record.last } : {}),
    };
  }

  /**
   * Queue a refresh of `collection` now. 409 when one is already queued or running; 400 when the
   * collection was not crawled from a website.
   */
  async request(collection: Collection): Promise<void> {
    if ((await startUrlsOf(this.db, collection)).length === 0) {
      throw new HttpError(400, 'invalid_request_error', `Collection "${collection.name}" was not ingested from a website: there is nothing to re-crawl (ingest its folder again with \`ragline ingest\`).`);
    }
    // Checked and queued with no await in between: two requests at once start one refresh.
    if (this.#running === collection.name || this.#queue.includes(collection.name)) {
      throw new HttpError(409, 'conflict_error', `A refresh of "${collection.name}" is already ${this.#running === collection.name ? 'running' : 'queued'}: see GET /api/collections/${collection.name}.`);
    }
    if (this.#stop.signal.aborted) throw new HttpError(503, 'server_closing', 'The server is closing.');
    if (this.options.jobs && (await hasPendingJobsFor(this.db.pool, collection.name))) {
      throw new HttpError(409, 'conflict_error', `Jobs of "${collection.name}" are still queued or running: see \`ragline jobs list\`.`);
    }
    this.#enqueue([collection.name]);
  }

  /** Stop the schedule, cancel the refresh running, and wait for it to end. */
  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
    this.#stop.abort(new RaglineError('aborted', 'The server is closing.'));
    await this.#drain;
  }

  #schedule(): void {
    const every = this.options.everyMs;
    if (every === undefined || this.#stop.signal.aborted) return;
    this.#nextAt = new Date(Date.now() + every);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#round();
    }, every);
    this.#timer.unref();
  }

  /** One scheduled round: every served crawled collection, then the next round is scheduled. */
  async #round(): Promise<void> {
    try {
      const names: string[] = [];
      for (const c of await this.served.list()) if ((await startUrlsOf(this.db, c)).length > 0) names.push(c.name);
      this.#enqueue(names.filter((n) => n !== this.#running && !this.#queue.includes(n)));
      await this.#drain;
    } catch (err) {
      this.options.log?.(`Refresh round failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.#schedule();
  }

  #enqueue(names: string[]): void {
    this.#queue.push(...names);
    this.#drain ??= this.#work().finally(() => (this.#drain = undefined));
  }

  /** Refresh the queued collections one after another. */
  async #work(): Promise<void> {
    for (let name = this.#queue.shift(); name !== undefined && !this.#stop.signal.aborted; name = this.#queue.shift()) {
      this.#running = name;
      try {
        await this.#refresh(name);
      } finally {
        this.#running = undefined;
      }
    }
  }

  /** Re-crawl every start URL of one collection; failures are recorded, not thrown. */
  async #refresh(name: string): Promise<void> {
    const record: Record = { ...this.#records.get(name), lastStartedAt: new Date() };
    this.#records.set(name, record);
    const results: RefreshSourceResult[] = [];
    const collection = await getCollection(this.db.pool, name).catch(() => undefined);
    const sources = collection ? await startUrlsOf(this.db, collection).catch(() => []) : [];
    this.options.log?.(`Refreshing "${name}" (${sources.length} start URL${sources.length === 1 ? '' : 's'})…`);
    if (this.options.jobs) {
      record.last = await this.#queueJobs(name, sources);
      record.lastFinishedAt = new Date();
      return;
    }
    for (const source of sources) {
      if (this.#stop.signal.aborted) break;
      try {
        const embedding = queryEmbeddingModel(collection!, this.embedding, this.connection);
        const summary = await ingest({ db: this.db, source, collection: name, embedding, ...this.options.ingest, signal: this.#stop.signal });
        results.push({ source: summary.source, summary });
        this.options.log?.(`Refreshed "${name}" from ${summary.source}: ${summary.new} new, ${summary.changed} changed, ${summary.unchanged} unchanged, ${summary.removed} removed, ${summary.embeddedChunks} chunks embedded.`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        results.push({ source: withoutCredentials(source), error: message });
        if (!this.#stop.signal.aborted) this.options.log?.(`Refresh of "${name}" from ${withoutCredentials(source)} failed: ${message}`);
      }
    }
    record.last = results;
    record.lastFinishedAt = new Date();
  }

  /** Queue one `site` job per start URL for the workers (none while the collection has jobs pending). */
  async #queueJobs(name: string, sources: string[]): Promise<RefreshSourceResult[]> {
    try {
      if (await hasPendingJobsFor(this.db.pool, name)) {
        this.options.log?.(`Refresh of "${name}" not queued: its jobs are still queued or running.`);
        return [];
      }
      // A start URL with a user name and password is not queued: job rows are durable and listed.
      const queueable = sources.filter((s) => withoutCredentials(s) === s);
      const jobs = await enqueueJobs(this.db.pool, queueable.map((source) => ({ collection: name, source, kind: 'site' as const, options: this.options.jobs ?? {} })));
      this.options.log?.(`Queued a refresh of "${name}" for the workers: job${jobs.length === 1 ? '' : 's'} ${jobs.map((j) => j.id).join(', ')}.`);
      return [
        ...jobs.map((j) => ({ source: j.source, jobId: j.id })),
        ...sources.filter((s) => !queueable.includes(s)).map((s) => ({ source: withoutCredentials(s), error: 'Not queued: the start URL has a user name and password, which the job queue never stores.' })),
      ];
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.options.log?.(`Refresh of "${name}" could not be queued: ${message}`);
      return sources.map((source) => ({ source: withoutCredentials(source), error: message }));
    }
  }
}
