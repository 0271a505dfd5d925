import fs from 'node:fs';
import path from 'node:path';

/**
 * Why another user could change what is kept in `dir` (V8's code for the CLI, which a run executes
 * as trusted; the cached answers, which become rows), or undefined when none could. A cache under a
 * HOME or XDG_CACHE_HOME others can write to (`HOME=/tmp` in a job, a shared CI directory) was used
 * whoever owned it: another user's `.cache/llm-batch` fed a root run its answers and its code.
 *
 * Every directory from `dir` (or the part of it that exists, which a run makes 0700) up to `/` must
 * belong to this user or root, and be writable by no one else: world-writable only with the sticky
 * bit (`/tmp`), group-writable only by this user's own group (the private group a umask of 002 gives
 * `~/.cache`). Links are followed. No check where there are no uids (Windows).
 */
export function othersCanWrite(dir: string): string | undefined {
  if (typeof process.geteuid !== 'function' || typeof process.getegid !== 'function') return undefined;
  const uid = process.geteuid();
  const gid = process.getegid();
  let at: string;
  try {
    at = fs.realpathSync(existingPart(path.resolve(dir)));
  } catch {
    return undefined; // nothing there to trust yet: what is made is the user's own
  }
  for (;;) {
    const st = fs.statSync(at, { throwIfNoEntry: false });
    if (st) {
      const sticky = (st.mode & 0o1000) !== 0;
      if (st.uid !== uid && st.uid !== 0) return `${at} belongs to another user (uid ${st.uid})`;
      if ((st.mode & 0o002) !== 0 && !sticky) return `${at} is writable by every user`;
      if ((st.mode & 0o020) !== 0 && !sticky && st.gid !== gid) return `${at} is writable by its group (gid ${st.gid})`;
    }
    const parent = path.dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
}

/** The longest part of `dir` that exists. */
function existingPart(dir: string): string {
  let at = dir;
  while (!fs.existsSync(at)) {
    const parent = path.dirname(at);
    if (parent === at) break;
    at = parent;
  }
  return at;
}
