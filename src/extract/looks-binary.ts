/**
 * Whether a body is binary data decoded as text: many NULs, control characters or U+FFFD
 * replacement characters near the start. Such a body has no readable text.
 */
export function looksBinary(body: string): boolean {
  const sample = Math.min(body.length, 4096);
  if (sample === 0) return false;
  let odd = 0;
  for (let i = 0; i < sample; i++) {
    const c = body.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 12 && c !== 13) || c === 0xfffd) odd++;
  }
  return odd / sample > 0.1;
}
