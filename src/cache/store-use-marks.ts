import fs from 'node:fs';
import path from 'node:path';
import { LEGACY_STORE_FILE, STORE_FILE } from './store-files.js';
import { removeQuietly } from '../util/remove-quietly.js';

/**
 * LMDB trusts every page it reads: a file damaged past its header can take down the process that
 * reads it (SIGBUS, SIGSEGV, glibc's abort), where no JavaScript catches it, and every later run
 * that meets the same page goes down the same way (review s69). What may have damaged a file leaves
 * a trace here, and then the file is read whole in a child process before it is opened
 * (store-probe.ts):
 * - a process that had the store open and did not close it (killed, crashed, a power loss) leaves
 *   its mark, `answers-v2.lmdb-open.PID`, with a PID no process has;
 * - a file changed since the last process that had it open closed it (copied, restored, edited by
 *   hand) no longer matches what that process recorded, `answers-v2.lmdb-closed.json`.
 * A store another live process has open is not checked: what that process writes is no damage.
 */

const MARK_PREFIX = `${STORE_FILE}-open.`;
export const CLOSED_RECORD = `${STORE_FILE}-closed.json`;

/** The marks this process holds, each with how many of its stores have it (a library may open one directory twice). */
const held = new Map<string, number>();
let exitHook = false;

/**
 * Who a mark's process is: the boot and the process's start, in clock ticks since boot (Linux). A
 * PID alone repeats: a container's run as PID 1, killed, left a mark the host's PID 1 kept "live",
 * and no check ever ran again (review s69). Empty where /proc cannot tell (another OS).
 */
export function identityOf(pid: number | 'self'): string {
  try {
    const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name's closing parenthesis (the name may hold spaces).
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start ? `${boot} ${start}` : '';
  } catch {
    return '';
  }
}

/** Each store file as it is now: a commit changes its mtime (and its size as the file grows). */
function filesNow(dir: string): unknown[] {
  return [STORE_FILE, LEGACY_STORE_FILE].map((name) => {
    const st = fs.statSync(path.join(dir, name), { throwIfNoEntry: false });
    return st ? [name, st.dev, st.ino, st.size, st.mtimeMs] : [name];
  });
}

interface Mark {
  file: string;
  live: boolean;
}

/** The marks in `dir`, each live while its process runs (a PID another user's process has is live too). */
function marksIn(dir: string): Mark[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith(MARK_PREFIX) && /^\d+$/.test(name.slice(MARK_PREFIX.length)))
    .map((name) => {
      const file = path.join(dir, name);
      const pid = Number(name.slice(MARK_PREFIX.length));
      // Our own PID on a mark we did not make: a process before us had it (PIDs repeat, in containers at once).
      return { file, live: pid === process.pid ? held.has(file) : running(pid, file) };
    });
}

/** Whether the mark's process runs: its PID, and (where /proc tells) the same process that made it. */
function running(pid: number, mark: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let made: string;
  try {
    made = fs.readFileSync(mark, 'utf8');
  } catch {
    return true;
  }
  // A mark this version made names its process; one that names none (made by hand) is no run's.
  if (made === '') return false;
  const now = identityOf(pid);
  return now === '' || now === made;
}

/**
 * Whether the store in `dir` should be read whole before it is opened: a process left it open
 * without closing it, or it changed since one last closed it (or none has recorded it yet: a file
 * from before these records, or one only ever closed by a process that failed to).
 */
export function needsCheck(dir: string): boolean {
  const marks = marksIn(dir);
  if (marks.some((mark) => mark.live)) return false;
  if (marks.length > 0) return true;
  try {
    return fs.readFileSync(path.join(dir, CLOSED_RECORD), 'utf8') !== JSON.stringify(filesNow(dir));
  } catch {
    return true;
  }
}

/** The store was read whole and found sound: the marks of processes gone go, and the file as it is now is recorded. */
export function checked(dir: string): void {
  forgetDeadMarks(dir);
  record(dir);
}

/** Removes the marks of processes gone (once the store was read whole, or when there is none to read). */
export function forgetDeadMarks(dir: string): void {
  for (const mark of marksIn(dir)) if (!mark.live) removeQuietly(mark.file);
}

/**
 * Marks the store in `dir` as open by this process until `close`: `clean` records the file as this
 * process leaves it; not clean (it met damage) removes the record, so the next opener reads it
 * whole. A directory that takes no mark (read-only) only goes unwatched.
 */
export function markOpen(dir: string): { close(clean: boolean): void } {
  const file = path.join(dir, `${MARK_PREFIX}${process.pid}`);
  const holders = held.get(file) ?? 0;
  try {
    // Another process's mark with this PID (one before it) is this process's from now on.
    if (holders === 0) fs.writeFileSync(file, identityOf('self') || 'pid');
    held.set(file, holders + 1);
  } catch {
    return { close() {} };
  }
  if (!exitHook) {
    exitHook = true;
    // A process that exits without closing the store (an error, process.exit) has not met damage:
    // its mark goes and its record is not made, so the next opener reads a changed file whole.
    process.on('exit', () => {
      for (const mark of held.keys()) removeQuietly(mark);
    });
  }
  let closed = false;
  return {
    close(clean) {
      if (closed) return;
      closed = true;
      if (clean) record(dir);
      else removeQuietly(path.join(dir, CLOSED_RECORD));
      const left = (held.get(file) ?? 1) - 1;
      if (left > 0) {
        held.set(file, left);
        return;
      }
      held.delete(file);
      removeQuietly(file);
    },
  };
}

function record(dir: string): void {
  try {
    fs.writeFileSync(path.join(dir, CLOSED_RECORD), JSON.stringify(filesNow(dir)));
  } catch {
    // Unrecorded, the next opener reads the file whole: time, not safety.
  }
}
