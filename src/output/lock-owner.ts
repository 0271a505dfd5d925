import { readFileSync } from 'node:fs';
import { errnoCode } from '../util/error-message.js';

/**
 * Linux reports process times in USER_HZ ticks, which the kernel fixes at 100 for user space on every
 * mainstream architecture (sysconf(_SC_CLK_TCK)); Node has no sysconf, and a wrong guess only makes
 * the start-time check below more lenient, never a live run's lock look stale.
 */
const USER_HZ = 100;

/** What /proc tells of a pid: its state letter and when it started (ms since the epoch). */
interface ProcInfo {
  state: string;
  startedMs: number | undefined;
}

let bootMs: number | null | undefined;
function bootTimeMs(): number | null {
  if (bootMs !== undefined) return bootMs;
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    bootMs = m ? Number(m[1]) * 1000 : null;
  } catch {
    bootMs = null;
  }
  return bootMs;
}

/** Reads /proc/PID/stat; undefined where there is no /proc (macOS, Windows) or no such pid. */
function readProc(pid: number): ProcInfo | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')': split after the last one.
  const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  const state = fields[0] ?? '';
  const ticks = Number(fields[19]); // field 22, starttime
  const boot = bootTimeMs();
  const startedMs = boot !== null && Number.isFinite(ticks) ? boot + (ticks * 1000) / USER_HZ : undefined;
  return { state, startedMs };
}

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Whether the run that wrote a lock (pid, lockedAt) may still be running on this host. A zombie (its
 * parent not yet reaping it: a `timeout -s KILL` wrapper, a slow container init) answers kill(pid, 0)
 * but holds nothing; a pid that started after the lock was written is another process that reused
 * the number. Both are judged dead. Without /proc, kill(pid, 0) is all there is.
 */
export function lockOwnerAlive(pid: number, lockedAtMs: number | undefined): boolean {
  if (!signalable(pid)) return false;
  const proc = readProc(pid);
  if (!proc) return true;
  if (proc.state === 'Z' || proc.state === 'X') return false;
  // The writer started before it wrote the lock; a second of slack covers tick rounding and clock steps.
  if (lockedAtMs !== undefined && proc.startedMs !== undefined && proc.startedMs > lockedAtMs + 1000) return false;
  return true;
}
