/**
 * robots.txt per origin for one crawl: fetched once, before the origin's first page, and kept for
 * the redirect checks and `Crawl-delay` that need the rules synchronously.
 */
import { FetchError } from '../errors.js';
import type { HttpClient } from '../net/http-get.js';
import { backoffMs, sleep } from '../net/retry.js';
import { fetchRobots, type RobotsRules } from './robots.js';

/** Options of {@link RobotsCache}. */
export interface RobotsCacheOptions {
  client: HttpClient;
  userAgent: string;
  /** False: no robots.txt is read and every URL is allowed. */
  obey: boolean;
  /** Times an unreachable robots.txt is tried again. */
  retries: number;
  retryBaseMs: number;
  signal: AbortSignal;
  /** Called before each retry. */
  onRetry: () => void;
  /** Called when a robots.txt is unreachable, which blocks its origin (RFC 9309). */
  onWarning: (url: string, message: string) => void;
}

/** The robots.txt rules of each origin one crawl visits. */
export class RobotsCache {
  private readonly pending = new Map<string, Promise<RobotsRules | undefined>>();
  private readonly loaded = new Map<string, RobotsRules>();

  constructor(private readonly options: RobotsCacheOptions) {}

  /**
   * The rules for `url`'s origin, fetched on the first call for the origin. Undefined when
   * robots.txt is not obeyed, or when the request was refused (the page request will fail the
   * same way).
   */
  rulesFor(url: URL): Promise<RobotsRules | undefined> {
    if (!this.options.obey) return Promise.resolve(undefined);
    let rules = this.pending.get(url.origin);
    if (rules === undefined) {
      rules = this.load(url).then(
        (loaded) => {
          this.loaded.set(url.origin, loaded);
          if (loaded.source === 'unreachable') {
            this.options.onWarning(loaded.url, `${loaded.url} could not be read; RFC 9309 says to crawl nothing of ${url.origin} until it can.`);
          }
          return loaded;
        },
        (error: unknown) => {
          if (error instanceof FetchError) return undefined;
          throw error;
        },
      );
      this.pending.set(url.origin, rules);
    }
    return rules;
  }

  /** The rules of `origin` if they have arrived. */
  loadedFor(origin: string): RobotsRules | undefined {
    return this.loaded.get(origin);
  }

  /** An unreachable robots.txt blocks the whole origin (RFC 9309): worth the same retries as a page. */
  private async load(url: URL): Promise<RobotsRules> {
    const { client, userAgent, retries, retryBaseMs, signal } = this.options;
    for (let attempt = 0; ; attempt++) {
      const loaded = await fetchRobots(client, url, userAgent, signal);
      if (loaded.source !== 'unreachable' || attempt >= retries) return loaded;
      this.options.onRetry();
      await sleep(backoffMs(attempt + 1, retryBaseMs), signal);
    }
  }
}
