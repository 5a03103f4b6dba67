/**
 * robots.txt (RFC 9309) for the crawler, parsed by `robots-parser`.
 *
 * Status rules of RFC 9309 §2.3.1: a 2xx body is parsed; 4xx (no robots.txt, or forbidden) means
 * everything is allowed; 5xx and unreachable mean everything is disallowed for now, since the
 * site cannot tell us what it forbids.
 */
import robotsParserModule from 'robots-parser';
import { FetchError } from '../errors.js';
import type { HttpClient } from '../net/http-get.js';

/** What robots.txt says to one user agent about one origin. */
export interface RobotsRules {
  /** Where the rules came from. */
  url: string;
  /** Whether `url` (of this origin) may be fetched. */
  isAllowed(url: string | URL): boolean;
  /** `Crawl-delay` for our user agent (or `*`), in milliseconds. */
  crawlDelayMs: number | undefined;
  /** `Sitemap:` lines (absolute URLs). */
  sitemaps: string[];
  /** How the rules were obtained: `parsed`, `none` (4xx: allow all), `unreachable` (5xx/network: disallow all). */
  source: 'parsed' | 'none' | 'unreachable';
}

/** The module is CommonJS (`module.exports = fn`): under NodeNext its default import is that function. */
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

/** Largest robots.txt read (RFC 9309 asks crawlers to parse at least 500 KiB). */
export const ROBOTS_MAX_BYTES = 512 * 1024;
/** Crawl-delay values above this are capped: one page every 60 s is already glacial. */
const MAX_CRAWL_DELAY_MS = 60_000;

/** The robots.txt URL of a page's origin. */
export function robotsUrlOf(url: URL): string {
  return `${url.origin}/robots.txt`;
}

/**
 * Parse a robots.txt body for `userAgent` (matched on its product token, `ragline` in
 * `ragline/0.1 (+https://...)`, as RFC 9309 says).
 */
export function parseRobots(robotsUrl: string, text: string, userAgent: string): RobotsRules {
  const robot = robotsParser(robotsUrl, text);
  const delay = robot.getCrawlDelay(userAgent);
  return {
    url: robotsUrl,
    // robots-parser answers undefined for URLs of another origin: those are not ours to judge.
    isAllowed: (url) => robot.isAllowed(typeof url === 'string' ? url : url.href, userAgent) !== false,
    crawlDelayMs:
      typeof delay === 'number' && Number.isFinite(delay) && delay > 0 ? Math.min(delay * 1000, MAX_CRAWL_DELAY_MS) : undefined,
    sitemaps: robot.getSitemaps().filter((sitemap: string) => URL.canParse(sitemap)),
    source: 'parsed',
  };
}

const allowAll = (url: string, source: RobotsRules['source']): RobotsRules => ({
  url,
  isAllowed: () => true,
  crawlDelayMs: undefined,
  sitemaps: [],
  source,
});

/** A cut body without its last, partial line: half a rule (`Disallow: /p` of `/private`) is no rule. */
function completeLines(text: string): string {
  return text.slice(0, text.lastIndexOf('\n') + 1);
}

/**
 * Fetch and parse the robots.txt of `origin` with the crawl's guarded client. Never throws for
 * the site's sake: a missing file allows all, an unreachable one disallows all (RFC 9309).
 * Aborts (the caller's signal) propagate.
 */
export async function fetchRobots(client: HttpClient, origin: URL, userAgent: string, signal?: AbortSignal): Promise<RobotsRules> {
  const url = robotsUrlOf(origin);
  try {
    // A larger file is read up to the bound and obeyed as far as read (RFC 9309 §2.5), never
    // taken for no robots.txt: a site's 20 MB file starting with `Disallow: /` still means it.
    const response = await client.get(url, { readAtMost: ROBOTS_MAX_BYTES, ...(signal ? { signal } : {}) });
    if (response.status >= 200 && response.status < 300) {
      return parseRobots(response.url, response.truncated ? completeLines(response.body) : response.body, userAgent);
    }
    if (response.status >= 400 && response.status < 500) return allowAll(url, 'none');
    // A redirect not followed (loop, off-site...) counts as no robots.txt, 5xx as unreachable.
    if (response.status >= 300 && response.status < 400) return allowAll(url, 'none');
    return { ...allowAll(url, 'unreachable'), isAllowed: () => false };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof FetchError && (error.reason === 'private-address' || error.reason === 'scheme')) throw error;
    return { ...allowAll(url, 'unreachable'), isAllowed: () => false };
  }
}
