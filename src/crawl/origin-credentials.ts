/**
 * Credentials written in a start URL (`https://alice:pw@intranet.example/`): taken out of the URL
 * at once, kept in memory only, and sent as HTTP Basic auth to the start URL's origin — never to
 * another origin, never stored, never printed (they are in no URL the crawl reports).
 *
 * Sending them is what curl, wget and browsers do with such a URL, so it is what a user who typed
 * one expects; keeping them out of page URLs keeps them out of the store, search results and the
 * server's answers, which anyone with read access to a collection sees.
 */
import type { HttpClient, HttpRequestOptions } from '../net/http-get.js';

/** The Basic credentials of one origin. Printing or serialising one shows only the origin. */
export class OriginCredentials {
  readonly #authorization: string;

  private constructor(
    /** The origin they are sent to (`https://intranet.example`). */
    readonly origin: string,
    authorization: string,
  ) {
    this.#authorization = authorization;
  }

  /**
   * Take the user name and password out of `url` (which is changed in place) and return them, or
   * undefined when it had none.
   */
  static takeFrom(url: URL): OriginCredentials | undefined {
    if (url.username === '' && url.password === '') return undefined;
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        return text;
      }
    };
    const pair = `${decode(url.username)}:${decode(url.password)}`;
    url.username = '';
    url.password = '';
    return new OriginCredentials(url.origin, `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`);
  }

  /** The `authorization` header for a request to `url`, when it is of their origin. */
  headerFor(url: string | URL): Record<string, string> {
    const origin = typeof url === 'string' ? (URL.canParse(url) ? new URL(url).origin : undefined) : url.origin;
    return origin === this.origin ? { authorization: this.#authorization } : {};
  }

  toJSON(): { origin: string } {
    return { origin: this.origin };
  }
}

/**
 * `client`, sending `credentials` with every request to their origin. A redirect to another
 * origin drops them (the HTTP client drops `authorization` on such a hop).
 */
export function withCredentials(client: HttpClient, credentials: OriginCredentials | undefined): HttpClient {
  if (credentials === undefined) return client;
  return {
    get: (url, options: HttpRequestOptions = {}) =>
      client.get(url, { ...options, headers: { ...options.headers, ...credentials.headerFor(url) } }),
    close: () => client.close(),
  };
}
