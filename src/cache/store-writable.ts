import fs from 'node:fs';
import path from 'node:path';
import { pathProblem } from '../util/path-words.js';

/** A store file this user cannot open for writing (another user's, or made read-only), named with why. */
export class StoreNotWritableError extends Error {
  constructor(
    readonly file: string,
    why: string,
  ) {
    super(`cannot write ${file}: ${why}`);
  }
}

/**
 * Throws where a writer's open of the store would fail, writing nothing: each of `files` (a store
 * file and its LMDB `-lock` file) that is there must open read-write, and the directory must take
 * the ones that are not (a directory not there yet, its nearest parent: the run makes it). LMDB
 * fails on files it cannot write ("Permission denied: Attempting to setup locks") only as it opens
 * them, after a run has made its output file; and `--dry-run`, which opens the store read-only,
 * counted answers from a cache its run then refused.
 */
export function checkStoreWritable(dir: string, files: readonly string[]): void {
  const { R_OK, W_OK, X_OK } = fs.constants;
  if (!fs.existsSync(dir)) {
    fs.accessSync(nearestParent(dir), W_OK | X_OK);
    return;
  }
  let create = false;
  for (const file of files) {
    try {
      fs.accessSync(file, R_OK | W_OK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreNotWritableError(file, pathProblem(err));
      create = true;
    }
  }
  if (create) fs.accessSync(dir, W_OK | X_OK);
}

/** The nearest directory above `dir` that is there (`/` at worst). */
function nearestParent(dir: string): string {
  let at = path.resolve(dir);
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  return at;
}
