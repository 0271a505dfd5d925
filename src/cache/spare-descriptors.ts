import fs from 'node:fs';
import os from 'node:os';
import { pathProblem } from '../util/path-words.js';
import { StoreNotWritableError } from './store-writable.js';

/**
 * Descriptors LMDB opens with a store: its data file, its lock file and a second handle on the data
 * file for synchronous writes, and one to spare.
 */
const LMDB_FILES = 4;

/**
 * Throws where the process has no descriptors left for LMDB to open `file` with (`ulimit -n`
 * nearly used up by the run's sockets, or a limit a few above what loading the CLI takes). Where
 * LMDB's own open met EMFILE, lmdb 3.5.6 freed its environment twice and the process died of
 * SIGSEGV (exit 139) after its rows were written, its output's lock left behind. Opened and closed
 * at once, in the same turn of the event loop as LMDB's open, so nothing of the run's takes them in
 * between.
 */
export function checkSpareDescriptors(file: string, count = LMDB_FILES): void {
  const fds: number[] = [];
  try {
    for (let i = 0; i < count; i++) fds.push(fs.openSync(os.devNull, 'r'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EMFILE' || code === 'ENFILE') throw new StoreNotWritableError(file, pathProblem(err));
    // Anything else (no /dev/null in a chroot): LMDB's open says for itself what it meets.
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}
