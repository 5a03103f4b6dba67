/**
 * A careful HTTP GET for crawling untrusted sites: SSRF guard on every connection (redirect hops
 * included), scheme allow-list, time limit, size limit on raw and decoded bytes, manual redirects
 * with loop detection, gzip/deflate/br decoding and charset detection.
 *
 * Built on `node:http`/`node:https` rather than global `fetch` because only they let us run the
 * address check in the socket's own DNS lookup (see address-guard.ts) for every hop.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { ConfigError, FetchError, describeValue } from '../errors.js';
import { checkInteger } from '../options/check.js';
import { createAddressGuard, privateAddressError, type AddressGuard, type AddressPolicy } from './address-guard.js';
import { decodeText, parseContentType } from './decode-text.js';
import { httpSettings, type HttpSettings } from './http-settings.js';
import { readBody } from './read-body.js';
import { isRedirect, RedirectChain } from './redirect-chain.js';

export { decodeText, parseContentType } from './decode-text.js';
export { DEFAULT_USER_AGENT } from './http-settings.js';

/** Options of `httpGet` and `createHttpClient`. */
export interface HttpGetOptions extends AddressPolicy {
  /**
   * Time limit in milliseconds for the whole fetch: connecting, every redirect hop, headers and
   * body. A single deadline (rather than an idle timeout) also stops servers that drip one byte
   * at a time.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Maximum size of the body in bytes, applied to the bytes on the wire and again to the decoded
   * bytes (a few KB of gzip can inflate to gigabytes). A larger `content-length` is refused before
   * reading; a body that grows past the limit is aborted.
   * @default 10485760 (10 MiB)
   */
  maxBytes?: number;
  /**
   * Maximum number of redirects to follow. One more redirect fails with reason `redirects`
   * (so `0` refuses every redirect).
   * @default 10
   */
  maxRedirects?: number;
  /**
   * The `User-Agent` header.
   * @default DEFAULT_USER_AGENT, `ragline/0.1 (+https://github.com/ragline/ragline)`
   */
  userAgent?: string;
  /**
   * Extra request headers; they override the defaults (`accept`, `accept-encoding`). `authorization`,
   * `cookie` and `proxy-authorization` are dropped when a redirect leaves the origin, as browsers do.
   * @default {}
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * Aborts the fetch; the promise then rejects with the signal's `reason`.
   * @default undefined
   */
  signal?: AbortSignal;
}

/** A response, successful or not (non-2xx statuses are returned, not thrown). */
export interface HttpResponse {
  /** The final URL, after redirects. */
  url: string;
  /** URLs that answered with a redirect, in order; empty when there was none. */
  redirects: string[];
  /** HTTP status of the final response. */
  status: number;
  /** Headers of the final response (lower-case names). */
  headers: http.IncomingHttpHeaders;
  /** Media type without parameters, lower case (`text/html`); empty when the server sent none. */
  contentType: string;
  /** The body decoded to text (charset from the header, else `<meta>`, else UTF-8). */
  body: string;
  /** Size of the body in bytes after content decoding (what `maxBytes` limits). */
  bytes: number;
  /** The content-decoded body bytes, only when the request asked for `raw`. */
  raw?: Buffer;
  /** True when the body was cut at the request's `readAtMost` bytes: the rest was not read. */
  truncated?: boolean;
}

/** The status line and headers of the final response, before its body is read. */
export interface ResponseHead {
  /** The final URL, after redirects. */
  url: string;
  /** HTTP status. */
  status: number;
  /** Response headers (lower-case names). */
  headers: http.IncomingHttpHeaders;
  /** Media type without parameters, lower case; empty when the server sent none. */
  contentType: string;
}

/** Per-request options of `HttpClient.get`. */
export interface HttpRequestOptions {
  /**
   * Aborts this request (in addition to the client's `signal`); the promise then rejects with
   * the signal's `reason`.
   * @default undefined
   */
  signal?: AbortSignal;
  /**
   * Decides from the final response head whether to read the body. Returning false closes the
   * connection at once and resolves with `body: ''` and `bytes: 0`: a crawler does not download a
   * 2 GB video only to discard it for not being HTML.
   * @default () => true
   */
  shouldReadBody?: (head: ResponseHead) => boolean;
  /**
   * Decides whether to follow a redirect to `next` (fragment removed). Returning false resolves
   * with the redirect response itself (3xx status, `location` header, empty body) instead of
   * following it: a crawler uses this to not fetch a page twice or fetch pages off-site.
   * @default () => true
   */
  shouldFollowRedirect?: (next: URL, current: URL) => boolean;
  /**
   * Extra headers for this request only (e.g. `if-none-match`), over the client's headers.
   * @default {}
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * Return the content-decoded body as bytes in `raw` (and `body: ''`) instead of decoding it to
   * text: for binary payloads such as a gzipped sitemap. A function decides from the final
   * response head (a crawler reads PDFs as bytes and pages as text).
   * @default false
   */
  raw?: boolean | ((head: ResponseHead) => boolean);
  /**
   * This request's body limit, over the client's `maxBytes`; a function decides from the final
   * response head (a crawler allows PDFs more than pages). Undefined from it: the client's.
   * @default the client's `maxBytes`
   */
  maxBytes?: number | ((head: ResponseHead) => number | undefined);
  /**
   * Read only the first this many bytes of the (decoded) body and stop there, instead of failing
   * with `too-large`: for a file of which a prefix is meaningful, such as robots.txt (RFC 9309
   * asks crawlers to parse at least its first 500 KiB). The response then says `truncated: true`.
   * A declared `content-length` over `maxBytes` is no refusal then; the bytes read never exceed
   * this bound.
   * @default undefined (the whole body, up to `maxBytes`)
   */
  readAtMost?: number;
}

/** A reusable fetcher with keep-alive connections; create one per crawl, `close` it when done. */
export interface HttpClient {
  /**
   * GET a URL. Throws `FetchError` (reasons `scheme`, `private-address`, `timeout`, `too-large`,
   * `redirects`, `network`), `ConfigError` for a malformed URL, or the signal's reason on abort.
   */
  get(url: string | URL, options?: HttpRequestOptions): Promise<HttpResponse>;
  /** Close idle keep-alive connections. The client must not be used afterwards. */
  close(): void;
}

/**
 * Create a client whose connections are kept alive between requests. Options are validated here
 * (`ConfigError`), once.
 */
export function createHttpClient(options: HttpGetOptions = {}): HttpClient {
  const client = new KeepAliveClient(httpSettings(options), createAddressGuard(options), options.signal);
  return {
    get: (url, callOptions) => client.get(url, callOptions),
    close: () => client.close(),
  };
}

/** What one client holds across requests: its settings, its address guard and its connection pools. */
class KeepAliveClient {
  // Own agents: keep-alive sockets are pooled per host:port regardless of `lookup`, so sharing
  // Node's global agent could hand this client a socket opened under a laxer address policy.
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  constructor(
    private readonly settings: HttpSettings,
    private readonly guard: AddressGuard,
    private readonly clientSignal: AbortSignal | undefined,
  ) {}

  async get(input: string | URL, callOptions: HttpRequestOptions = {}): Promise<HttpResponse> {
    const url = parseUrl(input);
    if (callOptions.readAtMost !== undefined) checkInteger('readAtMost', callOptions.readAtMost, { min: 1 });
    const userSignals = [this.clientSignal, callOptions.signal].filter((s) => s !== undefined);
    for (const userSignal of userSignals) userSignal.throwIfAborted();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.settings.timeoutMs);
    const signal = userSignals.length === 0 ? deadline.signal : AbortSignal.any([...userSignals, deadline.signal]);
    const headers = { ...this.settings.headers };
    for (const [name, value] of Object.entries(callOptions.headers ?? {})) headers[name.toLowerCase()] = value;
    const chain = new RedirectChain(url, headers, this.settings.maxRedirects);
    try {
      return await this.follow(chain, callOptions, signal);
    } catch (error) {
      const aborted = userSignals.find((s) => s.aborted);
      if (aborted !== undefined) throw aborted.reason;
      throw fetchFailure(error, chain.url, deadline.signal.aborted ? this.settings.timeoutMs : undefined);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /** Request `chain.url`, following redirects, and answer with the final response. */
  private async follow(chain: RedirectChain, callOptions: HttpRequestOptions, signal: AbortSignal): Promise<HttpResponse> {
    for (;;) {
      const url = chain.url;
      checkScheme(url);
      this.checkAddressLiteral(url);
      const res = await this.send(url, chain.headers, signal);
      const head: ResponseHead = {
        url: url.href,
        status: res.statusCode ?? 0,
        headers: res.headers,
        contentType: parseContentType(res.headers['content-type']).type,
      };
      const location = res.headers.location;
      if (!isRedirect(head.status, location)) return this.respond(url, res, head, chain.redirects, callOptions, signal);
      // Redirect bodies are never needed; destroying also bounds a hostile endless one.
      res.destroy();
      const next = chain.target(location, head.status);
      if (callOptions.shouldFollowRedirect !== undefined && !callOptions.shouldFollowRedirect(next, url)) {
        return { ...head, redirects: chain.redirects, body: '', bytes: 0 };
      }
      chain.follow(next, head.status);
    }
  }

  /** The final response: its body read and decoded, unless `shouldReadBody` declines it. */
  private async respond(
    url: URL,
    res: http.IncomingMessage,
    head: ResponseHead,
    redirects: string[],
    callOptions: HttpRequestOptions,
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    if (callOptions.shouldReadBody !== undefined && !callOptions.shouldReadBody(head)) {
      res.destroy();
      return { ...head, redirects, body: '', bytes: 0 };
    }
    const { readAtMost } = callOptions;
    const limit = typeof callOptions.maxBytes === 'function' ? callOptions.maxBytes(head) : callOptions.maxBytes;
    const { body, bytes, truncated } = await readBody(url, res, limit ?? this.settings.maxBytes, signal, readAtMost);
    const cut = truncated ? { truncated } : {};
    const raw = typeof callOptions.raw === 'function' ? callOptions.raw(head) : callOptions.raw;
    if (raw === true) return { ...head, redirects, body: '', bytes, raw: body, ...cut };
    return { ...head, redirects, body: decodeText(body, res.headers['content-type']), bytes, ...cut };
  }

  /** Node connects to IP literals without calling `lookup`: check them here. */
  private checkAddressLiteral(url: URL): void {
    if (net.isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0) return;
    const refused = this.guard.refusal([url.hostname]);
    if (refused !== undefined) throw privateAddressError(url.href, url.hostname, refused);
  }

  /** Send one request and resolve with the response head. */
  private send(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<http.IncomingMessage> {
    return new Promise<http.IncomingMessage>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const req = (secure ? https : http).request(url, {
        method: 'GET',
        headers,
        agent: secure ? this.agents.https : this.agents.http,
        lookup: this.guard.createLookup(url.href),
        signal,
      });
      req.once('response', resolve);
      req.once('error', reject);
      req.end();
    });
  }
}

/** Parse the `url` argument; a malformed URL is a caller error. */
function parseUrl(input: string | URL): URL {
  if (input instanceof URL) return new URL(input.href);
  if (typeof input === 'string' && URL.canParse(input)) return new URL(input);
  throw new ConfigError(
    'url',
    input,
    `${describeValue(input)} is not an absolute URL; write it with its scheme, e.g. https://example.com/.`,
  );
}

/** Refuse anything but http: and https:, with a hint for the common mistakes. */
function checkScheme(url: URL): void {
  if (url.protocol === 'http:' || url.protocol === 'https:') return;
  const hint =
    url.protocol === 'file:'
      ? ' To read local files, pass a folder or file path instead of a file: URL.'
      : '';
  throw new FetchError(
    url.href,
    'scheme',
    `Refusing to fetch ${url.href}: only http: and https: URLs can be fetched (got ${url.protocol}).${hint}`,
  );
}

/**
 * The error a failed fetch of `url` throws when no user signal aborted it: a timeout when the
 * deadline passed (`timedOutAfterMs`), our own errors as they are, anything else a network error.
 */
function fetchFailure(error: unknown, url: URL, timedOutAfterMs: number | undefined): unknown {
  if (timedOutAfterMs !== undefined) {
    return new FetchError(url.href, 'timeout', `Gave up on ${url.href} after timeoutMs (${timedOutAfterMs} ms).`, {
      cause: error,
    });
  }
  if (error instanceof FetchError || error instanceof ConfigError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new FetchError(url.href, 'network', `Could not fetch ${url.href}: ${message}`, { cause: error });
}

/**
 * Fetch one URL with the SSRF guard, limits and decoding described in `HttpGetOptions`. Non-2xx
 * responses are returned (check `status`); failures throw `FetchError` with a `reason`.
 * For many requests, `createHttpClient` reuses connections.
 *
 * @example
 * const res = await httpGet('https://example.com/', { timeoutMs: 10_000 });
 * if (res.status === 200 && res.contentType === 'text/html') console.log(res.body.length);
 */
export async function httpGet(url: string | URL, options: HttpGetOptions = {}): Promise<HttpResponse> {
  const client = createHttpClient(options);
  try {
    return await client.get(url);
  } finally {
    client.close();
  }
}
