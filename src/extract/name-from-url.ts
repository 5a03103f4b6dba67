/**
 * The last path segment of a URL (`throttling` for `.../api-guide/throttling/`), else the host: the
 * title of a document that declares none.
 */
export function nameFromUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const segment = parsed.pathname.split('/').filter((s) => s !== '').pop();
    if (segment === undefined) return parsed.hostname || url;
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  } catch {
    return url;
  }
}
