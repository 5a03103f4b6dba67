/**
 * The crawl's frontier: pages queued in breadth-first order, each page (by `pageKey`) once,
 * links kept within scope and depth, URLs that look like crawler traps refused.
 */
import { pageKey } from './normalize-url.js';
import { stripSessionIds, type Scope, type TrapGuard } from './scope.js';

/** A page waiting to be fetched or being fetched. */
export interface Task {
  /** URL to request (as linked, fragment removed). */
  url: URL;
  /** `pageKey` of `url`. */
  key: string;
  /** Link distance from the start URL. */
  depth: number;
}

/** A URL offered to the frontier. */
export interface Candidate {
  url: URL;
  depth: number;
}

/** Options of {@link Frontier}. */
export interface FrontierOptions {
  scope: Scope;
  traps: TrapGuard;
  /** Links further than this from the start URL are not followed. */
  maxDepth: number;
  /** Page keys already finished (by an interrupted run): never queued. */
  finished?: Iterable<string>;
}

/** The pages of one crawl still to fetch, and every page key it has seen. */
export class Frontier {
  private readonly seen: Set<string>;
  // A queue with a moving head: Array#shift would make a large crawl quadratic.
  private readonly queue: Array<Task | undefined> = [];
  private head = 0;

  constructor(private readonly options: FrontierOptions) {
    this.seen = new Set(options.finished ?? []);
  }

  /** Links of a page (found `depth` hops from the start) that the crawl may follow, without credentials. */
  followable(links: Iterable<URL | string>, depth: number): Candidate[] {
    if (depth > this.options.maxDepth) return [];
    const out: Candidate[] = [];
    for (const link of links) {
      const url = typeof link === 'string' ? (URL.canParse(link) ? new URL(link) : undefined) : new URL(link.href);
      if (url === undefined) continue;
      // Credentials in a link are not followed, nor kept: the crawl's own go by origin (origin-credentials.ts).
      url.username = '';
      url.password = '';
      if (this.options.scope.admits(url)) out.push({ url, depth });
    }
    return out;
  }

  /**
   * Queue the pages not seen yet, in order, without their session ids or credentials. A page that looks like a
   * crawler trap is not queued but told to `onTrap` with the reason (the start URL, at depth 0,
   * never is).
   * @returns the pages queued
   */
  add(candidates: Iterable<Candidate>, onTrap: (task: Task, reason: string) => void): Task[] {
    const queued: Task[] = [];
    for (const candidate of candidates) {
      const url = stripSessionIds(candidate.url);
      url.username = '';
      url.password = '';
      const key = pageKey(url);
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      const task = { url, key, depth: candidate.depth };
      const trap = candidate.depth === 0 ? undefined : this.options.traps.check(url, candidate.depth);
      if (trap !== undefined) onTrap(task, trap);
      else {
        this.queue.push(task);
        queued.push(task);
      }
    }
    return queued;
  }

  /** Whether a page key was queued or claimed already. */
  has(key: string): boolean {
    return this.seen.has(key);
  }

  /** Record a page key as taken (a redirect target, a canonical URL): it will not be queued. */
  claim(key: string): void {
    this.seen.add(key);
  }

  /** The next page to fetch, or undefined when none is waiting. */
  next(): Task | undefined {
    while (this.head < this.queue.length) {
      const task = this.queue[this.head];
      this.queue[this.head++] = undefined; // let the GC have it
      if (task !== undefined) return task;
    }
    return undefined;
  }

  /** Whether pages are waiting. */
  get waiting(): boolean {
    return this.head < this.queue.length;
  }
}
