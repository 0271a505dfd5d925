import { RunError } from '../errors.js';
import { acquireLock, type LockHandle } from '../output/index.js';

/**
 * Takes the lock of the `-o` file `merge` or `--compact` replaces, as a run takes its output's, and
 * the command holds it until it is done: replacing the file of a run still writing
 * it would send that run's rows to a deleted file and rewrite its settings, so such a file is refused
 * (exit 2, naming the lock and its run) whatever --overwrite says, and a run started meanwhile is
 * refused in turn. `say` gets the lock's note (a stale lock taken over).
 */
export function lockReplacedOutput(file: string, say: (line: string) => void): LockHandle {
  let lock: LockHandle;
  try {
    lock = acquireLock(file, { replaced: true });
  } catch (err) {
    if (!(err instanceof RunError)) throw err;
    throw new RunError(`${err.message} (nothing was changed)`, err.code, err.exitCode);
  }
  if (lock.note !== undefined) say(lock.note);
  return lock;
}
