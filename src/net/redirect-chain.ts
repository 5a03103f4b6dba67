/** Following redirects by hand: loop detection, a hop limit, and credentials kept to their origin. */
import { FetchError } from '../errors.js';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials and must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** Whether a response with this status and `location` header is a redirect to follow. */
export function isRedirect(status: number, location: string | undefined): location is string {
  return REDIRECT_STATUSES.has(status) && location !== undefined;
}

/** The hops of one GET: the URL and headers of the next request, and the URLs that redirected so far. */
export class RedirectChain {
  /** URLs that answered with a redirect, in order. */
  readonly redirects: string[] = [];

  constructor(
    /** The URL to request next. */
    public url: URL,
    /** The headers to send with it. */
    public headers: Record<string, string>,
    private readonly maxRedirects: number,
  ) {}

  /** Where a redirect from the current URL leads (fragment removed); `FetchError` when invalid. */
  target(location: string, status: number): URL {
    let next: URL;
    try {
      next = new URL(location, this.url);
    } catch (error) {
      throw new FetchError(this.url.href, 'redirects', `${this.url.href} redirects to an invalid URL: ${location}`, {
        status,
        cause: error,
      });
    }
    next.hash = '';
    return next;
  }

  /**
   * Record the current URL as a redirect and move on to `next`. Throws `FetchError` (reason
   * `redirects`) on a loop or past `maxRedirects`. Credentials stay behind when `next` is on
   * another origin.
   */
  follow(next: URL, status: number): void {
    const url = this.url;
    this.redirects.push(url.href);
    if (this.redirects.includes(next.href)) {
      throw new FetchError(
        url.href,
        'redirects',
        `Stopped at ${url.href}: redirect loop back to ${next.href}.`,
        { status },
      );
    }
    if (this.redirects.length > this.maxRedirects) {
      throw new FetchError(
        url.href,
        'redirects',
        `Stopped at ${url.href}: more than maxRedirects (${this.maxRedirects}) redirects from ${this.redirects[0]}.`,
        { status },
      );
    }
    if (next.origin !== url.origin) {
      this.headers = { ...this.headers };
      for (const name of CREDENTIAL_HEADERS) delete this.headers[name];
    }
    this.url = next;
  }
}
