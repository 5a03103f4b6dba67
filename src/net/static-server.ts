import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A running static site. */
export interface StaticServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:4517/`. */
  url: string;
  port: number;
  /** Requests served, by path: lets tests check that each page was fetched once. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** Options of {@link serveStatic}. */
export interface StaticServerOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/**
 * Serve a folder over HTTP the way static hosts do: `dir/` answers with `dir/index.html`, `dir`
 * redirects to `dir/`, anything outside the folder or missing is a 404. Responses carry an `ETag`
 * (size and modification time) and `Last-Modified`, and conditional requests that match get a 304,
 * so incremental crawls of a served folder behave as they would against a real host.
 */
export async function serveStatic(root: string, options: StaticServerOptions = {}): Promise<StaticServer> {
  const base = path.resolve(root);
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    // Nothing a client sends may take the process down: an unexpected error is a 500.
    serveFile(base, hits, req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/`,
    port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The path of a request, decoded; undefined when its target is no URL or not valid percent-encoding. */
function requestPath(req: http.IncomingMessage): string | undefined {
  try {
    return decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    return undefined;
  }
}

/** Answer one request from the folder `base`: the file, a redirect, a 304, or a 4xx. */
async function serveFile(base: string, hits: Map<string, number>, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const pathname = requestPath(req);
  if (pathname === undefined) {
    res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('bad request: the path is not valid percent-encoding of UTF-8');
    return;
  }
  hits.set(pathname, (hits.get(pathname) ?? 0) + 1);
  let file = path.join(base, pathname);
  if (file !== base && !file.startsWith(base + path.sep)) {
    res.writeHead(404).end('not found');
    return;
  }
  try {
    let info = await stat(file);
    if (info.isDirectory()) {
      if (!pathname.endsWith('/')) {
        res.writeHead(301, { location: `${pathname}/` }).end();
        return;
      }
      file = path.join(file, 'index.html');
      info = await stat(file);
    }
    const etag = `"${info.size.toString(16)}-${Math.round(info.mtimeMs * 1000).toString(16)}"`;
    const validators = { etag, 'last-modified': info.mtime.toUTCString() };
    if (isFresh(req, etag, info.mtimeMs)) {
      res.writeHead(304, validators).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', 'content-length': info.size, ...validators });
    if (req.method === 'HEAD') res.end();
    // A file gone or unreadable after `stat` ends the response, not the process.
    else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  } catch {
    res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>Not found</h1>');
  }
}

/** Whether a conditional request matches: If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2). */
function isFresh(req: http.IncomingMessage, etag: string, mtimeMs: number): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*');
  const ifModifiedSince = req.headers['if-modified-since'];
  return ifModifiedSince !== undefined && Math.floor(mtimeMs / 1000) <= Math.floor(Date.parse(ifModifiedSince) / 1000);
}
