import fs from 'node:fs';
import path from 'node:path';
import { replacementPaths } from '../util/write-file-atomic.js';
import { lockOwnerAlive } from './lock-owner.js';

/** `out.jsonl.12819.tmp` for `out.jsonl`: the pid of the process that wrote it, else undefined. */
function tempPid(name: string, base: string): number | undefined {
  if (!name.startsWith(`${base}.`) || !name.endsWith('.tmp')) return undefined;
  const digits = name.slice(base.length + 1, -'.tmp'.length);
  return /^[1-9]\d{0,9}$/.test(digits) ? Number(digits) : undefined;
}

/**
 * Removes the `FILE.PID.tmp` files that a `merge` or `--compact` into `file` killed with kill -9 (an
 * OOM kill, a cron timeout) left beside it: as large as the rows written so far, and nothing else
 * would ever remove them. Only those whose process is gone (see lockOwnerAlive: the file's last
 * change stands for when its writer was known to run, so a pid reused by a later process is gone
 * too); never this process's own. Call it only while holding `file`'s lock: every merge and compaction
 * takes it before it makes its temp file, so a live one elsewhere (another pid namespace or host,
 * where a pid says nothing) cannot be writing one then. `emptyOnly`: only empty ones (a run's
 * start-up check leaves no other; a file of that name with content may be the user's). Returns the
 * files removed.
 */
export function removeDeadTemps(file: string, emptyOnly = false): string[] {
  let target: string;
  try {
    ({ target } = replacementPaths(file));
  } catch {
    return []; // A link another user planted: not followed here either (its writer says so).
  }
  const dir = path.dirname(target);
  const base = path.basename(target);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return []; // An unreadable folder: the writer says why, if it matters.
  }
  // Named as the user typed the file, unless a link led elsewhere.
  const shownDir = target === path.resolve(file) ? path.dirname(file) : dir;
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempPid(name, base);
    if (pid === undefined || pid === process.pid) continue;
    const temp = path.join(dir, name);
    try {
      const stat = fs.lstatSync(temp);
      if (!stat.isFile() || (emptyOnly && stat.size > 0) || lockOwnerAlive(pid, stat.mtimeMs)) continue;
      fs.rmSync(temp);
      removed.push(path.join(shownDir, name));
    } catch {
      // Gone meanwhile, or not ours to remove: left as it is.
    }
  }
  return removed;
}
