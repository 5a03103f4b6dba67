/**
 * Which sites may talk to the server. A keyless server on loopback is still reachable from any web
 * page the user opens: through DNS rebinding (a name of the attacker's that resolves to 127.0.0.1,
 * seen here as a foreign `Host`) and through cross-site requests (seen as a foreign `Origin`). So
 * the `Host` must be one of the server's own names, and a browser request from another origin is
 * refused unless that origin is allowed for CORS. Clients that are not browsers (SDKs, curl) send
 * no `Origin` and are not affected.
 */
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import { HttpError } from './http.js';

/** Names of this machine's loopback interface, always accepted as `Host`. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** A host name as compared: lower case, without IPv6 brackets or a trailing dot. */
const normalizeName = (name: string) => name.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');

/** The host name of a `Host` header value (`name`, `name:port`, `[v6]:port`), or undefined when it is none. */
function hostNameOf(host: string): string | undefined {
  try {
    return normalizeName(new URL(`http://${host}`).hostname);
  } catch {
    return undefined;
  }
}

/** The host names accepted by default: loopback, the bound address, and for a wildcard bind every interface's address. */
function boundNames(boundHost: string): string[] {
  const bound = normalizeName(boundHost);
  const wildcard = bound === '0.0.0.0' || bound === '::' || bound === '';
  const interfaces = wildcard ? Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)) : [];
  return [...LOOPBACK_NAMES, ...(wildcard ? [] : [bound]), ...interfaces.map(normalizeName)];
}

/** Checks a request's `Host` and `Origin` headers. */
export class SiteGuard {
  readonly #hosts: ReadonlySet<string>;
  readonly #anyHost: boolean;
  readonly #origins: ReadonlySet<string>;

  /**
   * @param boundHost the address the server listens on
   * @param allowedHosts more host names accepted as `Host` (`*` for any)
   * @param corsOrigins origins allowed to call from a browser (`*` for any)
   */
  constructor(boundHost: string, allowedHosts: readonly string[], corsOrigins: ReadonlySet<string>) {
    this.#anyHost = allowedHosts.includes('*');
    // A name given with a port (`rag.internal:8787`) is the name.
    this.#hosts = new Set([...boundNames(boundHost), ...allowedHosts.map((h) => hostNameOf(h) ?? normalizeName(h))]);
    this.#origins = corsOrigins;
  }

  /** Throw 403 when the request's `Host` is not one of the server's names (a request without one is let through: no browser sends such). */
  checkHost(req: IncomingMessage): void {
    const host = req.headers.host;
    if (host === undefined || this.#anyHost) return;
    const name = hostNameOf(host);
    if (name !== undefined && this.#hosts.has(name)) return;
    const shown = (name ?? host).slice(0, 200);
    throw new HttpError(403, 'permission_error', `Host "${shown}" is not one this server answers to: add it with \`allowedHosts\` (\`--allowed-host ${shown}\`) if clients reach the server by that name.`);
  }

  /** Throw 403 when the request comes from a browser page of another origin that is not allowed for CORS. */
  checkOrigin(req: IncomingMessage): void {
    const origin = req.headers.origin;
    if (origin === undefined || this.#origins.has('*') || this.#origins.has(origin)) return;
    if (isSameOrigin(origin, req.headers.host)) return;
    throw new HttpError(403, 'permission_error', `Origin "${origin.slice(0, 200)}" is not allowed to call this server: add it with \`corsOrigins\` (\`--cors ${origin.slice(0, 200)}\`) to let its pages call the API.`);
  }
}

/** Whether `origin` is the server's own (the page it serves): the same host and port as the `Host` the request was sent to. */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const o = new URL(origin);
    // Behind a TLS-terminating proxy the page is https while the server sees http: the host and port decide.
    if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
    return o.host === new URL(`${o.protocol}//${host}`).host;
  } catch {
    return false;
  }
}
