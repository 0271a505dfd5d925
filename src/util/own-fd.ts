import fs from 'node:fs';
import path from 'node:path';
import { writeAllSync } from './write-all-sync.js';
import { openPipe } from './pipe-socket.js';
import { sleepSync } from './sleep-sync.js';

/**
 * The descriptor of this process's that `file` names (`/dev/stdout` 1, `/dev/stderr` 2, `/dev/fd/N`
 * and `/proc/self/fd/N` N) when it is open on a regular file or a socket; undefined for any other
 * path. A socket cannot be opened by name (ENXIO): written through the descriptor, or not at all. Opened
 * anew, such a path leads to the file the shell redirected into: `--summary-json /dev/stdout >>
 * nightly.log` truncated the log (or had it replaced by a rename), and `--trace /dev/stderr 2> run.log`
 * wrote at an offset of its own that stderr's later lines overwrote. Written through the descriptor
 * itself, a side file shares the redirection: `>>` appends, `>` goes on where the process is. A pipe
 * or a terminal is still opened anew: node makes a stdout pipe non-blocking, and a write straight to
 * it failed with EAGAIN at 64 KiB when its reader was slow.
 */
export function ownFdOf(file: string): number | undefined {
  const named = /^\/(?:dev\/(?:(stdout)|(stderr)|fd\/(\d+))|proc\/self\/fd\/(\d+))$/.exec(path.resolve(file));
  if (!named) return undefined;
  const fd = named[1] ? 1 : named[2] ? 2 : Number(named[3] ?? named[4]);
  try {
    const stat = fs.fstatSync(fd);
    // A socket (our stdout under Node's spawn, execa, systemd) cannot be opened by name at all: ENXIO.
    return stat.isFile() || stat.isSocket() ? fd : undefined;
  } catch {
    return undefined; // not open: opening the path says why
  }
}

/**
 * Writes `text` as the whole of `file` (created or truncated), or through the descriptor when `file`
 * names one of this process's own (see ownFdOf): for a side file written once (--summary-json).
 * A FIFO waits for a reader a while (see writeFifo).
 */
export function writeWholeFile(file: string, text: string, readerWaitMs = FIFO_READER_WAIT_MS): void {
  const fd = ownFdOf(file);
  if (fd !== undefined) writeAllSync(fd, text);
  else if (fs.statSync(file, { throwIfNoEntry: false })?.isFIFO()) writeFifo(file, text, readerWaitMs);
  else fs.writeFileSync(file, text);
}

/** How long a FIFO with nobody reading it is waited for (see writeFifo). */
export const FIFO_READER_WAIT_MS = 10_000;

/**
 * A side file that is a FIFO (`--summary-json fifo`), written once at the end. Opened as usual, it
 * waited in open(2) for a reader without end, and took no signal meanwhile: a cron job whose log
 * collector had died hung until SIGKILL. Asked without blocking instead, every 50 ms, for at most
 * FIFO_READER_WAIT_MS (the event loop held as writeAllSync holds it on a full pipe: a signal is
 * handled after the wait), then given up with ENXIO, as a write that failed.
 */
function writeFifo(file: string, text: string, readerWaitMs: number): void {
  let fd: number | undefined;
  for (let waited = 0; (fd = openPipe(file, 'write')) === undefined; waited += 50) {
    if (waited >= readerWaitMs) throw Object.assign(new Error(`nobody opened the FIFO for reading within ${readerWaitMs / 1000} s`), { code: 'ENXIO' });
    sleepSync(50);
  }
  try {
    writeAllSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}
