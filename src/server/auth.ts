/**
 * API keys. Keys are compared in constant time and never logged: logs and rate-limit buckets use
 * a short fingerprint (`key:1a2b3c4d`), which identifies a key without revealing it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './http.js';

const digest = (key: string) => createHash('sha256').update(key).digest();

/** A key's fingerprint, safe to print. */
export function keyFingerprint(key: string): string {
  return `key:${digest(key).toString('hex').slice(0, 8)}`;
}

/** Whether the host the server binds to is reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/** Checks `Authorization: Bearer <key>` against a set of keys. */
export class KeyChecker {
  readonly #digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.#digests = keys.map(digest);
  }

  get required(): boolean {
    return this.#digests.length > 0;
  }

  /**
   * The client's identity for rate limiting and logs: the key's fingerprint, or the remote
   * address when no keys are configured. Throws 401 for a missing or unknown key.
   */
  identify(req: IncomingMessage): string {
    if (!this.required) return `ip:${req.socket.remoteAddress ?? 'unknown'}`;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new HttpError(401, 'authentication_error', 'An API key is required: send `Authorization: Bearer <key>`.', { headers: { 'www-authenticate': 'Bearer' } });
    }
    const given = digest(match[1]!);
    // Compare against every key so the time taken does not tell which prefix matched.
    let ok = false;
    for (const d of this.#digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok) throw new HttpError(401, 'authentication_error', 'The API key is not valid.', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    return keyFingerprint(match[1]!);
  }
}
