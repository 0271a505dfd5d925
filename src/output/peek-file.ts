import * as fs from 'node:fs';

/** Reads up to `length` bytes at `position` from a file we only peek at. */
export function peek(path: string, position: number, length: number): Buffer {
  const fd = fs.openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, position);
    return buf.subarray(0, n);
  } finally {
    fs.closeSync(fd);
  }
}
