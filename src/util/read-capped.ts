import fs from 'node:fs';

/**
 * The most a file named by a flag (`-t @`, `-s @`, `--json-schema`, `--prices`) may hold. Such a
 * file is a few kilobytes; one larger than this is the wrong file (`-t @/dev/zero`, a data dump),
 * whose whole read would grow the process by gigabytes, unkillable, until it aborted.
 */
export const FLAG_FILE_MAX_BYTES = 16_000_000;

/** A file larger than the cap; its message is the reason, said after the flag and the file. */
export class FileTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`is larger than ${maxBytes / 1_000_000} MB; is this the right file?`);
    this.name = 'FileTooLargeError';
  }
}

/**
 * The file's text (UTF-8), read up to `maxBytes`: a FIFO or a device (`/dev/zero`) is read as far as
 * that too, never to its end. Node's errors (ENOENT, EISDIR…) as they are; FileTooLargeError beyond.
 */
export function readTextCapped(file: string, maxBytes = FLAG_FILE_MAX_BYTES): string {
  return readBytesCapped(file, maxBytes).toString('utf8');
}

/** {@link readTextCapped}'s bytes, not yet decoded. */
export function readBytesCapped(file: string, maxBytes = FLAG_FILE_MAX_BYTES): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // One byte past the cap is enough to tell.
      const buffer = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const read = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) return Buffer.concat(chunks, total);
      chunks.push(buffer.subarray(0, read));
      total += read;
      if (total > maxBytes) throw new FileTooLargeError(maxBytes);
    }
  } finally {
    fs.closeSync(fd);
  }
}
