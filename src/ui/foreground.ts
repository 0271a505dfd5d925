import fs from 'node:fs';

type Terminal = { isTTY?: boolean; fd?: number };

/**
 * How long an answer stands: a status line asks on every frame and around every row printed above
 * it, and one read of /proc/self/stat costs ~30-150 µs; it is read at most 4 times a second.
 */
const RECHECK_MS = 250;

/** Bumped when the process is continued after a stop: moved to the background (`bg`) or back (`fg`). */
let continued = 0;
let watching = false;
function watchContinued(): void {
  if (watching) return;
  watching = true;
  // A signal listener keeps no process alive; SIGCONT continues the process whether heard or not.
  process.on('SIGCONT', () => continued++);
}

/**
 * Whether this process is in its terminal's foreground process group, from /proc/self/stat: its
 * process group (field 5) against the terminal's foreground group (field 8). A job run with `&`, or
 * sent there with Ctrl-Z and `bg`, is not: the shell's prompt and what the user types are on the
 * terminal's last line then, and a bar drawn there erased them. `undefined` when that cannot be
 * told: no /proc (macOS, Windows), no controlling terminal, or `ttyRdev` (the device of the terminal
 * drawn on) another terminal than the controlling one.
 */
export function inForeground(ttyRdev: number, stat = readStat): boolean | undefined {
  const text = stat();
  // Field 2 is the command name in parentheses, and may hold spaces and parentheses itself.
  const close = text?.lastIndexOf(')') ?? -1;
  if (text === undefined || close < 0) return undefined;
  // Fields 3 onwards: state, ppid, pgrp, session, tty_nr, tpgid.
  const fields = text.slice(close + 2).split(' ');
  const [pgrp, ttyNr, tpgid] = [fields[2], fields[4], fields[5]].map(Number);
  if (!Number.isInteger(pgrp) || !Number.isInteger(tpgid) || !ttyNr || (tpgid as number) < 0) return undefined;
  // tty_nr encodes the device as glibc's makedev (and so node's `rdev`) does.
  if (ttyNr !== ttyRdev) return undefined;
  return pgrp === tpgid;
}

function readStat(): string | undefined {
  try {
    return fs.readFileSync('/proc/self/stat', 'latin1');
  } catch {
    return undefined;
  }
}

/**
 * A cheap "may I draw on `terminal` now?" for a status line: false only while this process is known
 * to be in the background of that terminal. Asked afresh every 250 ms, so a job stopped (Ctrl-Z) for
 * longer than that, as it is while `bg` is typed, asks again before its first frame; SIGCONT asks
 * again too, but a timer due while stopped may run before it is heard. A stream with no file descriptor (a test's),
 * or a system other than Linux (no /proc), always may, as before.
 */
export function foregroundCheck(terminal: Terminal, now: () => number = () => performance.now()): () => boolean {
  let rdev: number | undefined;
  try {
    if (process.platform === 'linux' && terminal.isTTY === true && typeof terminal.fd === 'number') rdev = fs.fstatSync(terminal.fd).rdev;
  } catch {
    // Not a terminal after all: nothing to ask.
  }
  if (!rdev) return () => true;
  watchContinued();
  return recheckedForeground(rdev, now, readStat);
}

/** inForeground for the terminal `ttyRdev`, the last answer standing for 250 ms or until a SIGCONT. */
export function recheckedForeground(ttyRdev: number, now: () => number, stat: () => string | undefined): () => boolean {
  let askedAt = Number.NEGATIVE_INFINITY;
  let seen = continued;
  let answer = true;
  return () => {
    const t = now();
    if (t - askedAt >= RECHECK_MS || seen !== continued) {
      askedAt = t;
      seen = continued;
      answer = inForeground(ttyRdev, stat) !== false;
    }
    return answer;
  };
}
