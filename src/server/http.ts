/**
 * The HTTP plumbing of the server: one error type with a status and an API error `type`, JSON
 * bodies read under a size limit, and every thrown error turned into `{error: {message, type}}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, ModelError, RaglineError, StoreError, describeValue } from '../errors.js';

/** An error with the HTTP status and API error type it is answered with. */
export class HttpError extends RaglineError {
  /** HTTP status code, e.g. 400. */
  readonly status: number;
  /** Machine-readable error type, e.g. `invalid_request_error` (the OpenAI API's vocabulary). */
  readonly type: string;
  /** Extra response headers, e.g. `retry-after`. */
  readonly headers: Record<string, string>;

  constructor(status: number, type: string, message: string, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super('http', message, options.cause === undefined ? {} : { cause: options.cause });
    this.status = status;
    this.type = type;
    this.headers = options.headers ?? {};
  }
}

/**
 * The HTTP answer to an error. ragline errors keep their one-line message (they never contain
 * keys); anything unexpected becomes a bare 500 so internals do not leak.
 */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof ConfigError) {
    if (err.option === 'collection' && /^No collection named/.test(err.message)) return new HttpError(404, 'not_found_error', err.message, { cause: err });
    return new HttpError(400, 'invalid_request_error', err.message, { cause: err });
  }
  if (err instanceof ModelError) {
    // The model provider is overloaded or rate-limiting us: the client may retry later.
    if (err.isRetryable) return new HttpError(503, 'upstream_unavailable', `The model is unavailable right now: ${err.message}`, { headers: { 'retry-after': '2' }, cause: err });
    return new HttpError(502, 'upstream_error', `The model call failed: ${err.message}`, { cause: err });
  }
  if (err instanceof StoreError) return new HttpError(503, 'database_unavailable', err.message, { headers: { 'retry-after': '2' }, cause: err });
  const pgCode = (err as { code?: unknown } | null)?.code;
  if (err instanceof Error && typeof pgCode === 'string' && /^(08|53|57)/.test(pgCode)) {
    // Connection, resource and shutdown errors of Postgres: transient.
    return new HttpError(503, 'database_unavailable', 'The database is unavailable right now: retry shortly.', { headers: { 'retry-after': '2' }, cause: err });
  }
  return new HttpError(500, 'server_error', 'Internal server error.', { cause: err });
}

/** The JSON body of an error. */
export function errorBody(err: HttpError): { error: { message: string; type: string } } {
  return { error: { message: err.message, type: err.type } };
}

/** Send a JSON response (no-op when the client is gone). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Send an error as `{error: {message, type}}` with its status and headers. */
export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, errorBody(err), err.headers);
}

/** A percent-encoded part of a request path, decoded; 400 when it is not valid percent-encoding (of UTF-8). */
export function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch (err) {
    throw new HttpError(400, 'invalid_request_error', `The path part "${part.slice(0, 200)}" is not valid percent-encoding of UTF-8: encode it with encodeURIComponent.`, { cause: err });
  }
}

/**
 * Read a JSON object body of at most `maxBytes`: 415 when it is not sent as `application/json`
 * (the types a web page can send cross-site without a CORS preflight are refused so), 413 beyond
 * the size, 400 when it is not a JSON object.
 */
export async function readJsonObject(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, 'invalid_request_error', `The request body must be JSON sent with \`content-type: application/json\` (got ${type ? `"${type.slice(0, 100)}"` : 'no content-type'}).`);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'invalid_request_error', 'The request body is not valid JSON: send a JSON object with `content-type: application/json`.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'invalid_request_error', `Expected the request body to be a JSON object, got ${describeValue(parsed)}.`);
  }
  return parsed as Record<string, unknown>;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'request_too_large', `The request body is larger than ${maxBytes} bytes.`);
}

/** Start a server-sent events response. */
export function startEventStream(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    // Proxies (nginx) buffer responses unless told not to, which would defeat streaming.
    'x-accel-buffering': 'no',
    ...headers,
  });
  res.flushHeaders();
}

/** Write one server-sent event; `event` omitted writes a bare `data:` line (the OpenAI stream format). */
export function writeEvent(res: ServerResponse, data: unknown, event?: string): void {
  if (res.destroyed || res.writableEnded) return;
  res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}
