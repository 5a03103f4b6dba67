/**
 * What `ragline jobs add` accepts, turned into jobs: a start URL (a site crawl), a sitemap (one
 * job per page it lists, sitemap indexes followed), a file or folder (read on the worker's
 * machine), or a file listing such sources one a line.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, FetchError } from '../errors.js';
import { withoutCredentials } from '../crawl/normalize-url.js';
import { httpGet, type HttpGetOptions } from '../net/http-get.js';
import type { JobKind } from './queue.js';

/** One job's worth of source. */
export interface JobSource {
  source: string;
  kind: JobKind;
}

/** Options of {@link expandSources}. */
export interface ExpandOptions extends Pick<HttpGetOptions, 'allowPrivateNetwork' | 'timeoutMs' | 'signal'> {
  /**
   * Most page URLs taken from sitemaps, in all.
   * @default 50000
   */
  maxSitemapUrls?: number;
}

const SITEMAP = /\.xml(\.gz)?$|sitemap/i;
const URL_LINE = /^https?:\/\/\S+$/i;

function decodeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[e]!);
}

async function sitemapPages(url: string, options: ExpandOptions, budget: { left: number }, depth: number): Promise<string[]> {
  const res = await httpGet(url, { ...options, maxBytes: 50 * 1024 * 1024 });
  if (res.status !== 200) throw new FetchError(url, 'status', `Sitemap ${url} answered HTTP ${res.status}.`, { status: res.status });
  const locs = [...res.body.matchAll(/<loc>\s*([^<]+?)\s*<\/loc>/gi)].map((m) => decodeXml(m[1]!));
  if (/<sitemapindex[\s>]/i.test(res.body)) {
    if (depth >= 3) throw new ConfigError('source', url, `Sitemap ${url} nests sitemap indexes more than 3 deep.`);
    const out: string[] = [];
    for (const child of locs) out.push(...(await sitemapPages(new URL(child, url).href, options, budget, depth + 1)));
    return out;
  }
  if (locs.length === 0 && !/<urlset[\s>]/i.test(res.body)) {
    throw new ConfigError('source', url, `${url} is not a sitemap (no <urlset> or <sitemapindex>): give the site's start URL to crawl it instead.`);
  }
  const pages = locs.slice(0, budget.left).map((l) => new URL(l, url).href);
  budget.left -= pages.length;
  return pages;
}

/** An http(s) URL a job may carry: one that parses, without credentials (a job row is stored and listed). */
function queueableUrl(input: string, fromList: string | undefined): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch (err) {
    throw new ConfigError('source', input, `Invalid URL ${input}${fromList ? ` in ${fromList}` : ''}.`, { cause: err });
  }
  if (url.username || url.password) {
    // A job row is durable and listed by `jobs list`: credentials must never go into it.
    throw new ConfigError('source', withoutCredentials(url.href), `Cannot queue ${withoutCredentials(url.href)} with the user name and password written in it: the job queue stores sources, and credentials are never stored. Ingest it with \`ragline ingest\` (credentials stay in memory), or queue a URL without them.`);
  }
  return url;
}

/**
 * The page URLs a file lists, one a line (blank lines and `#` comments skipped), as `page` jobs:
 * each fetches its one page, with no site crawl. A line that is not an http(s) URL is an error
 * naming the file and line.
 */
export async function pageSourcesOf(file: string): Promise<JobSource[]> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw new ConfigError('urls', file, `Cannot read the URL list ${file}: ${(err as Error).message}.`, { cause: err });
  });
  const out: JobSource[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (!URL_LINE.test(line)) throw new ConfigError('urls', line, `Line ${i + 1} of ${file} is not an http(s) URL: ${JSON.stringify(line.slice(0, 200))}. A --urls file lists one page URL a line (# starts a comment).`);
    out.push({ source: queueableUrl(line, file).href, kind: 'page' });
  }
  return out;
}

async function expandOne(input: string, options: ExpandOptions, budget: { left: number }, fromList: string | undefined): Promise<JobSource[]> {
  if (/^https?:\/\//i.test(input)) {
    const url = queueableUrl(input, fromList);
    if (SITEMAP.test(url.pathname)) return (await sitemapPages(url.href, options, budget, 0)).map((source) => ({ source, kind: 'page' }));
    return [{ source: url.href, kind: 'site' }];
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input) && !input.startsWith('file://')) {
    throw new ConfigError('source', input, `Cannot ingest "${input}": only http(s) URLs, sitemaps, files and folders are supported.`);
  }
  const p = path.resolve(fromList ? path.dirname(fromList) : process.cwd(), input.startsWith('file://') ? new URL(input).pathname : input);
  const info = await stat(p).catch(() => undefined);
  if (!info) throw new ConfigError('source', input, `Cannot add "${input}"${fromList ? ` (listed in ${fromList})` : ''}: it is not an http(s) URL and no such file or folder exists.`);
  if (info.isDirectory()) return [{ source: p, kind: 'path' }];
  // A file whose lines are all URLs is a list of sources; any other file is a document to ingest.
  if (!fromList && info.size < 64 * 1024 * 1024) {
    const lines = (await readFile(p, 'utf8'))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    if (lines.length > 0 && lines.every((l) => URL_LINE.test(l))) {
      const out: JobSource[] = [];
      for (const line of lines) out.push(...(await expandOne(line, options, budget, p)));
      return out;
    }
  }
  return [{ source: p, kind: 'path' }];
}

/**
 * Turn the sources a user names into one entry per job, in order, without duplicates: `inputs`
 * as {@link expandOne} reads them, then the pages listed in each file of `pageLists` (see
 * {@link pageSourcesOf}). Paths become absolute (workers must see the same file system for them).
 */
export async function expandSources(inputs: readonly string[], options: ExpandOptions = {}, pageLists: readonly string[] = []): Promise<JobSource[]> {
  const budget = { left: options.maxSitemapUrls ?? 50_000 };
  const seen = new Set<string>();
  const out: JobSource[] = [];
  // One at a time, in order: sitemaps share the budget.
  const lists = [...inputs.map((input) => () => expandOne(input, options, budget, undefined)), ...pageLists.map((file) => () => pageSourcesOf(path.resolve(file)))];
  for (const list of lists) {
    for (const s of await list()) {
      if (seen.has(s.source)) continue;
      seen.add(s.source);
      out.push(s);
    }
  }
  return out;
}
