import fs from 'node:fs';

/** The bytes the files at `paths` hold in all, for a progress total; one that cannot be looked at counts 0 (its reader says why). */
export function filesSize(paths: readonly string[]): number {
  let bytes = 0;
  for (const path of paths) {
    try {
      bytes += fs.statSync(path).size;
    } catch {
      // Counted as empty.
    }
  }
  return bytes;
}
