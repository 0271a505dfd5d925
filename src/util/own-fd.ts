import fs from 'node:fs';
import path from 'node:path';
import { writeAllSync } from './write-all-sync.js';

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
 */
export function writeWholeFile(file: string, text: string): void {
  const fd = ownFdOf(file);
  if (fd === undefined) fs.writeFileSync(file, text);
  else writeAllSync(fd, text);
}
