/** CORS for the API: allowed origins get their headers, and preflights are answered here. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Set the CORS headers when the request's origin is in `allowed` (`*` for any; empty turns CORS
 * off). True when the request was a preflight, now answered.
 */
export function applyCors(allowed: ReadonlySet<string>, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (allowed.size === 0 || !origin || !(allowed.has('*') || allowed.has(origin))) return false;
  res.setHeader('access-control-allow-origin', allowed.has('*') ? '*' : origin);
  res.setHeader('vary', 'origin');
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': 'authorization, content-type, accept',
    'access-control-max-age': '600',
  });
  res.end();
  return true;
}
