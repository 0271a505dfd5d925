import fs from 'node:fs';
import path from 'node:path';
import { LEGACY_STORE_FILE, STORE_FILE } from './store-files.js';
import { CLOSED_RECORD } from './store-use-marks.js';
import { inspectStoreFile, StoreNotAFileError, type StoreFileState } from './store-file-check.js';

export interface RemovedStore {
  /** The files removed, data files, their LMDB lock files and the record of the last clean close, as paths. */
  files: string[];
  /** Answers the removed data files held, as their meta pages count them (damaged ones count 0). */
  answers: number;
  /** Data files that were damaged, each with what was wrong. */
  damaged: Array<{ file: string; why: string }>;
}

/**
 * Removes the store's files (the current and legacy layouts, each with its `-lock` file) without
 * opening them with LMDB: `cache clear` must work on a file that would crash LMDB, and a damaged
 * file can look sound (LMDB has no checksums). Only for a store no run has open (see
 * store-in-use.ts): a run would go on writing into the deleted file, and its answers be lost.
 */
export function removeStore(dir: string): RemovedStore {
  const removed: RemovedStore = { files: [], answers: 0, damaged: [] };
  // Checked before anything is removed: a FIFO or a directory in the store's place is not the
  // store's to delete (refused whole, the cache is left as it was).
  const states = refuseNotAFile([STORE_FILE, LEGACY_STORE_FILE].map((name) => path.join(dir, name)));
  for (const [i, name] of [STORE_FILE, LEGACY_STORE_FILE].entries()) {
    const file = path.join(dir, name);
    const state = states[i]!;
    if (state.kind === 'damaged') removed.damaged.push({ file, why: state.why });
    // The current layout's main database also holds msgpackr's shapes, under one key of their own.
    if (state.kind === 'sound') removed.answers += name === STORE_FILE ? Math.max(0, state.entries - 1) : state.entries;
    // The current file's record (store-use-marks.ts) describes a file no longer there.
    for (const f of name === STORE_FILE ? [file, `${file}-lock`, path.join(dir, CLOSED_RECORD)] : [file, `${file}-lock`]) {
      if (!fs.existsSync(f)) continue;
      fs.rmSync(f, { force: true });
      removed.files.push(f);
    }
  }
  return removed;
}

/** What each of `files` is; throws {@link StoreNotAFileError} for the first that is no regular file. */
function refuseNotAFile(files: readonly string[]): StoreFileState[] {
  return files.map((file) => {
    const state = inspectStoreFile(file);
    if (state.kind === 'not-a-file') throw new StoreNotAFileError(file, state.what);
    return state;
  });
}
