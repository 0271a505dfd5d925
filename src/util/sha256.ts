import * as crypto from 'node:crypto';

/**
 * SHA-256 of `text` (UTF-8), as hex or as one latin1 character per byte ('binary': a 32-character
 * string costs less to make and keep than a Buffer). node >= 20.12 hashes in one call, without the
 * Hash object createHash makes per call; older 20.x builds one.
 */
export const sha256: (text: string, encoding: 'hex' | 'binary') => string =
  typeof crypto.hash === 'function'
    ? (text, encoding) => crypto.hash('sha256', text, encoding)
    : (text, encoding) => crypto.createHash('sha256').update(text).digest(encoding);
