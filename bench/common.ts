/** Shared pieces of the benchmark and evaluation scripts. */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { packageRoot } from '../src/package-root.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { corpusPath } from '../test/support/corpora.js';
import { samePage } from '../src/core/eval-questions.js';

/** A question of `bench/questions/*.json`: the page path(s) that answer it, or null for none. */
export interface Question {
  question: string;
  expect: string | string[] | null;
}

/** A site to ingest and the questions written for it. */
export interface QuestionSet {
  name: string;
  root: string;
  questions: Question[];
}

/** The question sets whose sites are present: the demo site always, the shared corpora when there. */
export function questionSets(): { sets: QuestionSet[]; missing: string[] } {
  const root = packageRoot();
  const sites: Record<string, string> = {
    'demo-site': path.join(root, 'demo-site'),
    'drf-docs': corpusPath('drf-docs'),
    'lmfit-docs': corpusPath('lmfit-docs'),
  };
  const sets: QuestionSet[] = [];
  const missing: string[] = [];
  for (const [name, dir] of Object.entries(sites)) {
    if (!existsSync(dir)) {
      missing.push(`${name} (no ${dir})`);
      continue;
    }
    const questions = JSON.parse(readFileSync(path.join(root, 'bench', 'questions', `${name}.json`), 'utf8')) as Question[];
    sets.push({ name, root: dir, questions });
  }
  return { sets, missing };
}

/** Whether a retrieved URL is one of the expected pages (paths relative to the site's `base`), matched as `ragline eval` matches them. */
export function isExpected(url: string, base: string, expect: string | string[]): boolean {
  return (Array.isArray(expect) ? expect : [expect]).some((e) => samePage(url, new URL(e, base).href));
}

/** An empty database of its own on the server named by `serverUrl`, and how to drop it. */
export async function emptyServerDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `ragline_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}

/**
 * A throwaway database, removed on close: on the server named by `serverUrl`, a new database of its
 * own (so a benchmark never touches existing data); without one, an embedded database in a temp
 * folder. `url` is the server database's connection string, for child processes.
 */
export async function scratchDatabase(serverUrl?: string, options: { maxConnections?: number } = {}): Promise<Database & { url?: string }> {
  if (serverUrl) {
    const empty = await emptyServerDatabase(serverUrl);
    try {
      const db = await openDatabase({ databaseUrl: empty.url, ...options });
      return {
        ...db,
        url: empty.url,
        async close() {
          await db.close();
          await empty.drop();
        },
      };
    } catch (err) {
      await empty.drop();
      throw err;
    }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ragline-bench-'));
  const db = await openDatabase({ dataDir: dir, databaseUrl: '' });
  return {
    ...db,
    async close() {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Print rows as an aligned table. */
export function printTable(rows: Array<Array<string | number>>): void {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const r of cells) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

/** p-th percentile by nearest rank, as `ragline eval` reports latencies. */
export { percentile } from '../src/core/eval-metrics.js';
