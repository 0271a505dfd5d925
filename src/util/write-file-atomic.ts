import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Replaces `file` with `text` atomically: a temp file written and fsynced, renamed over it, then
 * the folder fsynced. A kill at any instant leaves the old or the new file, never half of one, and
 * what the new one says is on disk. Throws the file system's error, the temp file removed.
 */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, text); // loops until all is written, as one writeSync need not
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncDir(path.dirname(path.resolve(file)));
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform lets a folder be fsynced; the rename itself is atomic.
  }
}
