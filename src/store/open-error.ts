/**
 * What went wrong, in words, for an error of the embedded database's drivers. PGlite's file system
 * throws Emscripten `ErrnoError`s: no message, only a WASI error number (51 for a full disk).
 */

/** WASI error numbers PGlite's file system reports, with what they mean. */
const WASI_ERRNO: Readonly<Record<number, readonly [code: string, meaning: string]>> = {
  2: ['EACCES', 'permission denied'],
  19: ['EDQUOT', 'disk quota exceeded'],
  29: ['EIO', 'input/output error'],
  44: ['ENOENT', 'no such file or directory'],
  48: ['ENOMEM', 'out of memory'],
  51: ['ENOSPC', 'no space left on device'],
  63: ['EPERM', 'operation not permitted'],
  69: ['EROFS', 'read-only file system'],
};

/** Error codes of a full disk: the file system's, and Postgres's SQLSTATE disk_full. */
const FULL = ['ENOSPC', 'EDQUOT', '53100'];

/**
 * The error in `err`'s cause chain that says the disk (or quota) is full, if any: a write's own
 * wrapper (a failed COPY, say) keeps the driver's error as its cause.
 */
export function diskFullError(err: unknown): unknown {
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const { errno, code } = e as { errno?: unknown; code?: unknown };
    const known = typeof errno === 'number' ? WASI_ERRNO[errno] : undefined;
    if (FULL.includes(known?.[0] ?? '') || FULL.includes(String(code))) return e;
  }
  return undefined;
}

/**
 * The one-line cause of `err`, without a final period: its message, or for an `ErrnoError` its
 * error's meaning and code — with what to do when the disk is full.
 */
export function describeDriverError(err: unknown): string {
  const { errno } = (typeof err === 'object' && err !== null ? err : {}) as { errno?: unknown };
  const known = typeof errno === 'number' ? WASI_ERRNO[errno] : undefined;
  let cause: string;
  if (err instanceof Error && err.message) cause = err.message.replace(/\.$/, '');
  else if (known) cause = `${known[1]} (${known[0]})`;
  else if (typeof errno === 'number') cause = `file system error ${errno}`;
  else if (typeof err === 'string' && err) cause = err;
  else cause = `an error without a message (${Object.prototype.toString.call(err)})`;
  return diskFullError(err) !== undefined ? `${cause}: free space on that disk, or use a data folder on another one` : cause;
}
