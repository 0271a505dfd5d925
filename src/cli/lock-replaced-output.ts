import { RunError } from '../errors.js';
import { acquireLock, removeDeadTemps, type LockHandle } from '../output/index.js';

/**
 * Takes the lock of the `-o` file `merge` or `--compact` replaces, as a run takes its output's; the
 * command holds it until it is done. Replacing the file of a run still writing it would send that
 * run's rows to a deleted file and rewrite its settings, so such a file is refused (exit 2, naming
 * the lock and its run) whatever --overwrite says, and a run started meanwhile is refused in turn. Under the lock, the temp files that killed merges and compactions into the same
 * file left are removed (`say` names them).
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
  for (const temp of removeDeadTemps(file)) say(`removed ${temp}, left by a merge or compaction that was killed before it finished`);
  return lock;
}
