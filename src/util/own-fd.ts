import fs from 'node:fs';
import path from 'node:path';
import { writeAllSync } from './write-all-sync.js';

/**
 * The descriptor of this process's that `file` names: `/dev/stdout` 1, `/dev/stderr` 2, `/dev/fd/N`
 * and `/proc/self/fd/N` N; undefined for any other path. Opened anew, such a path leads to the file
 * the shell redirected into: `--summary-json /dev/stdout >> nightly.log` truncated the log (or, being a
 * regular file, had it replaced by a rename), and `--trace /dev/stderr 2> run.log` wrote at an offset
 * of its own that stderr's later lines overwrote. Written through the descriptor itself, a side file
 * shares the redirection: `>>` appends, `>` goes on where the process is.
 */
export function ownFdOf(file: string): number | undefined {
  const named = /^\/(?:dev\/(?:(stdout)|(stderr)|fd\/(\d+))|proc\/self\/fd\/(\d+))$/.exec(path.resolve(file));
  if (!named) return undefined;
  return named[1] ? 1 : named[2] ? 2 : Number(named[3] ?? named[4]);
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
