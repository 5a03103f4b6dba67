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

/** Whether any of `digests` equals `given`, comparing against every one so the time taken tells nothing. */
function anyEqual(digests: readonly Buffer[], given: Buffer): boolean {
  let ok = false;
  for (const d of digests) ok = timingSafeEqual(d, given) || ok;
  return ok;
}

/** Checks `Authorization: Bearer <key>` against a set of keys; admin keys are keys too, and may also run admin actions. */
export class KeyChecker {
  readonly #digests: Buffer[];
  readonly #adminDigests: Buffer[];

  constructor(keys: readonly string[], adminKeys: readonly string[] = []) {
    this.#adminDigests = adminKeys.map(digest);
    this.#digests = [...keys.map(digest), ...this.#adminDigests];
  }

  /**
   * Throw unless the request may run an admin action (e.g. start a refresh): with keys configured,
   * it must carry an admin key (403 otherwise); without keys, it must come from this machine.
   */
  checkAdmin(req: IncomingMessage): void {
    if (!this.required) {
      const address = req.socket.remoteAddress ?? '';
      if (isLoopbackHost(address.replace(/^::ffff:/, ''))) return;
      throw new HttpError(403, 'permission_error', 'Admin actions are allowed from this machine only when the server has no API keys.');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (match && anyEqual(this.#adminDigests, digest(match[1]!))) return;
    const how = this.#adminDigests.length ? 'send an admin key' : 'start the server with an admin key (`--admin-key`, or RAGLINE_ADMIN_KEYS) and send it';
    throw new HttpError(403, 'permission_error', `This action needs an admin key: ${how}.`);
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
    // Compared against every key so the time taken does not tell which prefix matched.
    if (!anyEqual(this.#digests, digest(match[1]!))) throw new HttpError(401, 'authentication_error', 'The API key is not valid.', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    return keyFingerprint(match[1]!);
  }
}
