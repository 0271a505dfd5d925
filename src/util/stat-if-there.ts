import fs from 'node:fs';

/**
 * `file`'s stat, undefined when there is none; any other failure thrown. Not `throwIfNoEntry: false`,
 * which node 22 applies to ENOTDIR as well: `-o afile/` was "cannot create a file in ." there, and
 * "a part of the path is a file" under node 20.
 */
export function statIfThere(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
