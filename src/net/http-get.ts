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
import { TextDecoder } from 'node:util';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { ConfigError, FetchError, describeValue } from '../errors.js';
import { checkInteger, checkNonEmptyString } from '../options/check.js';
import { HTTP_DEFAULTS } from '../options/defaults.js';
import { createAddressGuard, privateAddressError, type AddressPolicy } from './address-guard.js';

/** The `User-Agent` sent when none is configured. */
export const DEFAULT_USER_AGENT = 'ragline/0.1 (+https://github.com/ragline/ragline)';

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
   * text: for binary payloads such as a gzipped sitemap.
   * @default false
   */
  raw?: boolean;
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

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials and must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const SNIFF_BYTES = 1024;

/** Validated, defaulted options. */
interface Settings {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  headers: Record<string, string>;
}

function settingsOf(options: HttpGetOptions): Settings {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError('options', options, `Options must be an object, got ${describeValue(options)}.`);
  }
  const userAgent = checkNonEmptyString('userAgent', options.userAgent ?? DEFAULT_USER_AGENT, { singleLine: true });
  const extra: unknown = options.headers ?? {};
  if (extra === null || typeof extra !== 'object' || Array.isArray(extra)) {
    throw new ConfigError('headers', extra, `headers must be an object of strings, got ${describeValue(extra)}.`);
  }
  const headers: Record<string, string> = {
    'user-agent': userAgent,
    accept: 'text/html,application/xhtml+xml,text/markdown;q=0.9,text/plain;q=0.8,*/*;q=0.5',
    'accept-encoding': 'gzip, deflate, br',
  };
  for (const [name, value] of Object.entries(extra)) {
    if (typeof value !== 'string' || /[\r\n]/.test(value)) {
      throw new ConfigError(
        `headers.${name}`,
        value,
        `Header ${name} must be a single-line string, got ${describeValue(value)}.`,
      );
    }
    headers[name.toLowerCase()] = value;
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new ConfigError('signal', options.signal, `signal must be an AbortSignal, got ${describeValue(options.signal)}.`);
  }
  return {
    timeoutMs: checkInteger('timeoutMs', options.timeoutMs ?? HTTP_DEFAULTS.timeoutMs, { min: 1 }),
    maxBytes: checkInteger('maxBytes', options.maxBytes ?? HTTP_DEFAULTS.maxBytes, { min: 1 }),
    maxRedirects: checkInteger('maxRedirects', options.maxRedirects ?? HTTP_DEFAULTS.maxRedirects, { min: 0 }),
    headers,
  };
}

/** Parse a `content-type` header into its lower-case media type and charset label. */
export function parseContentType(header: string | undefined): { type: string; charset?: string } {
  if (header === undefined) return { type: '' };
  const type = (header.split(';')[0] ?? '').trim().toLowerCase();
  const charset = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(header);
  const label = (charset?.[1] ?? charset?.[2] ?? '').trim();
  return label === '' ? { type } : { type, charset: label };
}

/** A `TextDecoder` for a label, or undefined when Node does not know the label. */
function decoderFor(label: string): TextDecoder | undefined {
  try {
    return new TextDecoder(label);
  } catch {
    return undefined;
  }
}

/**
 * Decode a body to text. The charset comes from a byte-order mark, else the `content-type`
 * header's `charset`, else (for HTML or an unknown type) a `<meta charset>` or
 * `<meta http-equiv="content-type">` in the first 1024 bytes, else UTF-8. Unknown labels fall
 * back to UTF-8; invalid bytes become U+FFFD. A UTF-8 BOM is stripped.
 * @param bytes the raw (already content-decoded) body
 * @param contentTypeHeader the `content-type` header, if any
 */
export function decodeText(bytes: Uint8Array, contentTypeHeader?: string): string {
  // A BOM is the most reliable signal there is (the WHATWG encoding standard puts it first).
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);

  const { type, charset } = parseContentType(contentTypeHeader);
  let decoder = charset === undefined ? undefined : decoderFor(charset);
  if (decoder === undefined && (type === '' || type === 'text/html' || type === 'application/xhtml+xml')) {
    const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, SNIFF_BYTES)).toString('latin1');
    const meta = /<meta\s[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head);
    // A page that says UTF-16 in ASCII-compatible bytes cannot be UTF-16 (WHATWG rule).
    if (meta?.[1] !== undefined && !/^utf-16/i.test(meta[1])) decoder = decoderFor(meta[1]);
  }
  if (decoder?.encoding === 'windows-1252') return decodeWindows1252(bytes);
  return (decoder ?? new TextDecoder('utf-8')).decode(bytes);
}

/**
 * Characters of windows-1252 bytes 0x80-0x9F (WHATWG index). Node 20's `TextDecoder` decodes
 * windows-1252 (and its aliases latin1, iso-8859-1, ascii) as ISO-8859-1, turning curly quotes
 * and the euro sign into C1 controls (nodejs/node#56542), so that one encoding is done here.
 */
const WINDOWS_1252_HIGH =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

function decodeWindows1252(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (char) => WINDOWS_1252_HIGH[char.charCodeAt(0) - 0x80] ?? char);
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

/** One decoder per `content-encoding`, outermost last (so they apply in reverse order). */
function decodersFor(url: URL, status: number, header: string | undefined): Transform[] {
  const codings = (header ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  return codings.reverse().map((coding) => {
    switch (coding) {
      case 'gzip':
      case 'x-gzip':
        // Servers often end gzip streams slightly early; be as lenient as browsers.
        return zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH });
      case 'deflate':
        return new DeflateDecoder();
      case 'br':
        return zlib.createBrotliDecompress();
      default:
        throw new FetchError(
          url.href,
          'network',
          `Cannot decode ${url.href}: unsupported content-encoding ${coding}.`,
          { status },
        );
    }
  });
}

/** Passes bytes through and fails with `onExceeded()` once more than `limit` bytes went by. */
class ByteLimit extends Transform {
  /** Bytes seen so far. */
  bytes = 0;

  constructor(
    private readonly limit: number,
    private readonly onExceeded: () => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) done(this.onExceeded());
    else done(null, chunk);
  }
}

/**
 * HTTP `deflate` is meant to be zlib-wrapped (RFC 9110), but some servers send raw deflate.
 * Look at the first two bytes and pick the right inflater, as browsers do.
 */
class DeflateDecoder extends Transform {
  private inflater: zlib.Inflate | zlib.InflateRaw | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.inflater === undefined) {
      const [b0 = 0, b1 = 0] = chunk;
      const isZlib = chunk.length >= 2 && (b0 & 0x0f) === 8 && ((b0 << 8) | b1) % 31 === 0;
      const inflater = isZlib ? zlib.createInflate() : zlib.createInflateRaw();
      inflater.on('data', (data: Buffer) => this.push(data));
      inflater.on('error', (error) => this.destroy(error));
      this.inflater = inflater;
    }
    // The write callback runs once zlib has consumed the chunk: natural backpressure.
    this.inflater.write(chunk, () => done());
  }

  override _flush(done: TransformCallback): void {
    if (this.inflater === undefined) {
      done();
      return;
    }
    this.inflater.once('end', () => done());
    this.inflater.end();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.inflater?.destroy();
    done(error);
  }
}

/**
 * Create a client whose connections are kept alive between requests. Options are validated here
 * (`ConfigError`), once.
 */
export function createHttpClient(options: HttpGetOptions = {}): HttpClient {
  const settings = settingsOf(options);
  const guard = createAddressGuard(options);
  // Own agents: keep-alive sockets are pooled per host:port regardless of `lookup`, so sharing
  // Node's global agent could hand this client a socket opened under a laxer address policy.
  const agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  /** Send one request and resolve with the response head. */
  const request = (url: URL, headers: Record<string, string>, signal: AbortSignal) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const req = (secure ? https : http).request(url, {
        method: 'GET',
        headers,
        agent: secure ? agents.https : agents.http,
        lookup: guard.createLookup(url.href),
        signal,
      });
      req.once('response', resolve);
      req.once('error', reject);
      req.end();
    });

  /** Read the body under the size limit, decoding content-encodings. */
  const readBody = async (url: URL, res: http.IncomingMessage, signal: AbortSignal) => {
    const status = res.statusCode ?? 0;
    const tooLarge = (what: string) =>
      new FetchError(
        url.href,
        'too-large',
        `Stopped reading ${url.href}: ${what} exceeds maxBytes (${settings.maxBytes} bytes).`,
        { status },
      );
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > settings.maxBytes) {
      res.destroy();
      throw tooLarge(`the declared content-length ${declared}`);
    }
    let decoders: Transform[];
    try {
      decoders = decodersFor(url, status, res.headers['content-encoding']);
    } catch (error) {
      res.destroy();
      throw error;
    }
    const chunks: Buffer[] = [];
    const decoded = new ByteLimit(settings.maxBytes, () => tooLarge('the decoded body'));
    await pipeline(
      res,
      new ByteLimit(settings.maxBytes, () => tooLarge('the body')),
      ...decoders,
      decoded,
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      }),
      { signal },
    );
    const bytes = decoded.bytes;
    return { body: Buffer.concat(chunks, bytes), bytes };
  };

  const get = async (input: string | URL, callOptions: HttpRequestOptions = {}): Promise<HttpResponse> => {
    let url = parseUrl(input);
    const userSignals = [options.signal, callOptions.signal].filter((s) => s !== undefined);
    for (const userSignal of userSignals) userSignal.throwIfAborted();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), settings.timeoutMs);
    const signal = userSignals.length === 0 ? deadline.signal : AbortSignal.any([...userSignals, deadline.signal]);
    const redirects: string[] = [];
    let headers = { ...settings.headers };
    for (const [name, value] of Object.entries(callOptions.headers ?? {})) headers[name.toLowerCase()] = value;
    try {
      for (;;) {
        checkScheme(url);
        // Node connects to IP literals without calling `lookup`: check them here.
        if (net.isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0) {
          const refused = guard.refusal([url.hostname]);
          if (refused !== undefined) throw privateAddressError(url.href, url.hostname, refused);
        }
        const res = await request(url, headers, signal);
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        const contentTypeHeader = res.headers['content-type'];
        const head: ResponseHead = {
          url: url.href,
          status,
          headers: res.headers,
          contentType: parseContentType(contentTypeHeader).type,
        };
        if (REDIRECT_STATUSES.has(status) && location !== undefined) {
          // Redirect bodies are never needed; destroying also bounds a hostile endless one.
          res.destroy();
          let next: URL;
          try {
            next = new URL(location, url);
          } catch (error) {
            throw new FetchError(url.href, 'redirects', `${url.href} redirects to an invalid URL: ${location}`, {
              status,
              cause: error,
            });
          }
          next.hash = '';
          if (callOptions.shouldFollowRedirect !== undefined && !callOptions.shouldFollowRedirect(next, url)) {
            return { ...head, redirects, body: '', bytes: 0 };
          }
          redirects.push(url.href);
          if (redirects.includes(next.href)) {
            throw new FetchError(
              url.href,
              'redirects',
              `Stopped at ${url.href}: redirect loop back to ${next.href}.`,
              { status },
            );
          }
          if (redirects.length > settings.maxRedirects) {
            throw new FetchError(
              url.href,
              'redirects',
              `Stopped at ${url.href}: more than maxRedirects (${settings.maxRedirects}) redirects from ${redirects[0]}.`,
              { status },
            );
          }
          if (next.origin !== url.origin) {
            headers = { ...headers };
            for (const name of CREDENTIAL_HEADERS) delete headers[name];
          }
          url = next;
          continue;
        }
        if (callOptions.shouldReadBody !== undefined && !callOptions.shouldReadBody(head)) {
          res.destroy();
          return { ...head, redirects, body: '', bytes: 0 };
        }
        const { body, bytes } = await readBody(url, res, signal);
        if (callOptions.raw === true) return { ...head, redirects, body: '', bytes, raw: body };
        return { ...head, redirects, body: decodeText(body, contentTypeHeader), bytes };
      }
    } catch (error) {
      const aborted = userSignals.find((s) => s.aborted);
      if (aborted !== undefined) throw aborted.reason;
      if (deadline.signal.aborted) {
        throw new FetchError(url.href, 'timeout', `Gave up on ${url.href} after timeoutMs (${settings.timeoutMs} ms).`, {
          cause: error,
        });
      }
      if (error instanceof FetchError || error instanceof ConfigError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new FetchError(url.href, 'network', `Could not fetch ${url.href}: ${message}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    get,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
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
