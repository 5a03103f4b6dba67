/**
 * What every request to the server goes through: its Host and Origin, CORS, the key check and
 * rate limit on the API paths, its route, an error answer, one log line, and cancellation when the
 * client leaves.
 */
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RaglineError } from '../errors.js';
import type { KeyChecker } from './auth.js';
import { applyCors } from './cors.js';
import { HttpError, sendError, toHttpError } from './http.js';
import type { RateLimiter } from './rate-limit.js';
import type { Router } from './router.js';
import type { SiteGuard } from './site-guard.js';

/** Routes requests and keeps track of the work in flight, so that closing can cancel it. */
export class Dispatcher {
  /** Work in flight, cancelled when the server closes. */
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly router: Router,
    private readonly keys: KeyChecker,
    private readonly limiter: RateLimiter,
    /** Origins allowed to call from a browser; empty turns CORS off. */
    private readonly cors: ReadonlySet<string>,
    /** What the `Host` and `Origin` of a request must be. */
    private readonly guard: SiteGuard,
    private readonly log: ((line: string) => void) | undefined,
  ) {}

  /** Answer one request; never rejects for a route's error (it becomes the response). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = requestUrl(req);
    const controller = new AbortController();
    this.inFlight.add(controller);
    let client = '-';
    // A response closed before it finished means the client left: stop its work.
    res.on('close', () => {
      this.inFlight.delete(controller);
      if (!res.writableFinished) controller.abort(new RaglineError('aborted', 'The client disconnected.'));
      this.log?.(`${method} ${url?.pathname ?? '(no URL)'} ${res.writableFinished ? res.statusCode : `${res.statusCode} (client left)`} ${Math.round(performance.now() - started)}ms ${client}`);
    });
    const { signal } = controller;
    // The model client, the search and the queue each listen to it; more than 10 is expected.
    setMaxListeners(50, signal);
    try {
      if (!url) throw new HttpError(400, 'invalid_request_error', 'The request target is not a valid URL path.');
      // A foreign Host (DNS rebinding) is refused before anything, a foreign Origin once the route is known.
      this.guard.checkHost(req);
      if (applyCors(this.cors, req, res)) return;
      const handler = this.router.match(method, url.pathname);
      this.guard.checkOrigin(req);
      if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/v1/')) {
        client = this.keys.identify(req);
        this.checkRate(client);
      }
      await handler({ req, res, url, signal });
    } catch (err) {
      // The client left (or the server is closing): nobody to answer, whatever the error.
      if (signal.aborted) return;
      const httpError = toHttpError(err);
      if (httpError.status >= 500 && httpError.type === 'server_error') this.log?.(`error on ${method} ${url?.pathname}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      if (!res.headersSent) sendError(res, httpError);
      else res.end();
    }
  }

  /** Cancel every request in flight: the server is closing. */
  cancelAll(): void {
    for (const controller of this.inFlight) controller.abort(new RaglineError('aborted', 'The server is closing.'));
  }

  /** A 429 with `retry-after` when `client` is over its rate limit. */
  private checkRate(client: string): void {
    const waitMs = this.limiter.take(client);
    if (waitMs > 0) {
      throw new HttpError(429, 'rate_limit_error', `Too many requests: retry in ${Math.ceil(waitMs / 1000)} s.`, { headers: { 'retry-after': String(Math.ceil(waitMs / 1000)) } });
    }
  }
}

/** The request's URL, or undefined when its target is none (e.g. `http://[oops/`). */
function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}
