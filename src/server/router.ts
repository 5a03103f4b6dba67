/** A small router: exact paths, one handler per method, 404 and 405 as JSON errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http.js';

/** What a handler gets: the request, the response, and the parsed URL. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Cancelled when the client disconnects before the response ends, or the server closes. */
  signal: AbortSignal;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export class Router {
  readonly #routes = new Map<string, Map<string, Handler>>();
  readonly #prefixes: Array<{ method: string; prefix: string; handler: Handler }> = [];

  /** Register `handler` for `method` on every path under `prefix` (ending in `/`), e.g. `/v1/models/`. */
  under(method: string, prefix: string, handler: Handler): this {
    this.#prefixes.push({ method: method.toUpperCase(), prefix, handler });
    return this;
  }

  /** Register `handler` for `method` on the exact `path`. */
  on(method: string, path: string, handler: Handler): this {
    let byMethod = this.#routes.get(path);
    if (!byMethod) this.#routes.set(path, (byMethod = new Map()));
    byMethod.set(method.toUpperCase(), handler);
    return this;
  }

  /** The handler for a request, or a 404/405 `HttpError`. HEAD is served by GET. */
  match(method: string, path: string): Handler {
    const byMethod = this.#routes.get(path.length > 1 ? path.replace(/\/+$/, '') : path);
    if (!byMethod) {
      const under = this.#prefixes.find((p) => path.startsWith(p.prefix) && path.length > p.prefix.length && (p.method === method || (method === 'HEAD' && p.method === 'GET')));
      if (under) return under.handler;
    }
    if (!byMethod) throw new HttpError(404, 'not_found_error', `No route for ${method} ${path}.`);
    const handler = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
    if (!handler) {
      throw new HttpError(405, 'invalid_request_error', `${method} is not allowed on ${path}: use ${[...byMethod.keys()].join(' or ')}.`, {
        headers: { allow: [...byMethod.keys()].join(', ') },
      });
    }
    return handler;
  }
}
