import fs from 'node:fs';

/**
 * Removes a file if it is there, and says nothing if it cannot: for files whose staying costs only
 * time (a stale code cache, a cache directory's mark of a process gone), never data.
 */
export function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // Left for a later run to remove, or to pass over.
  }
}
