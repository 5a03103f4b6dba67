/** Small formatting helpers for terminal output. */

export const formatInt = (n: number) => n.toLocaleString('en-US');

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A URL as a person reads it: `file://` URLs as paths, keeping a fragment such as a meeting's `#t=754`. */
export function displayUrl(url: string): string {
  if (!url.startsWith('file://')) return url;
  const u = new URL(url);
  return decodeURIComponent(u.pathname) + u.hash;
}

/** Collapse whitespace and cut to `max` characters. */
export function snippet(text: string, max = 280): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
