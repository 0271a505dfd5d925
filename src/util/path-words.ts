import fs from 'node:fs';
import path from 'node:path';
import { openFileLimit } from './open-file-limit.js';

/**
 * The `ulimit -n` suggested when descriptors run out: above what node needs to load the CLI (38 on
 * node 20, 24 on node 22 with its compile cache) and what the default `-c 8` keeps within
 * (fdLimitFor(8), 56).
 */
export const ENOUGH_OPEN_FILES = 64;

/**
 * A path that cannot be looked up, in words a cron mail reader can act on: Node's own messages
 * ("ELOOP: too many symbolic links encountered, stat 'x'") repeat the path and name a syscall.
 */
export function pathProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'ELOOP':
      return 'too many symbolic links (a symlink loop?)';
    case 'ENAMETOOLONG':
      return 'the name is too long (at most 255 bytes a name, 4096 a path)';
    case 'EMFILE':
      return outOfDescriptors(openFileLimit());
    case 'EROFS':
      return 'a read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'over the disk quota';
    default:
      return e.message;
  }
}

/**
 * A file that could not be written at the end of a run (its directory removed meanwhile, a full
 * disk), in the words its refusal before the run has: not Node's, which named the temp file written
 * beside it (`ENOENT: …, open 'r.html.22781.tmp'`).
 */
export function writeProblem(err: unknown, file: string): string {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `no such directory ${path.dirname(file)}`;
  return pathProblem(err);
}

/** A file that cannot be read, in the same words: also `no such file` and `is a directory`. */
export function readProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : pathProblem(err);
}

/** Why `file` cannot be read as a file (see readProblem), or undefined when it can. */
export function unreadableReason(file: string): string | undefined {
  try {
    if (fs.statSync(file).isDirectory()) return 'is a directory';
    fs.accessSync(file, fs.constants.R_OK);
    return undefined;
  } catch (err) {
    // Not "no such file": an unset variable (`report "$OUT"`), and `-`, which is stdin to a run.
    if (file === '') return 'the name is empty (an unset variable?)';
    if (file === '-') return 'stdin (-) is not read here: give the file, saving piped results to one first';
    // A relative name is looked for where the run was started, which a cron line's `cd` may not be.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !path.isAbsolute(file)) return `no such file in ${process.cwd()}`;
    return readProblem(err);
  }
}

/**
 * Why `file`, readable, still cannot be read twice: a pipe (`<(zcat out.jsonl.gz)`, `/dev/stdin`), a
 * device or a socket gives its bytes once. Undefined for a regular file (or one that is not there).
 */
export function notRereadable(file: string): string | undefined {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat || stat.isFile() || stat.isDirectory()) return undefined;
  return stat.isFIFO() ? 'is a pipe, not a file' : 'is not a regular file';
}

/**
 * Why `dir` cannot hold files of ours (a cache): a path that cannot be looked up, or one that is not
 * a directory. Undefined when it is one, or is not there yet (it is made when first needed).
 */
export function dirProblem(dir: string): string | undefined {
  try {
    // Not `throwIfNoEntry: false`: from Node 22 on it hides ENOTDIR too (a file where a directory
    // of the path should be), which must be said, not taken for "not there yet".
    const stat = fs.statSync(dir);
    if (!stat.isDirectory()) return 'is a file, not a directory';
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
    return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return pathProblem(err);
  }
}

/**
 * EMFILE in words that say what to change: a limit below ENOUGH_OPEN_FILES is the cause; at or above
 * it the process's own files and sockets hold them all (a high -c, or a host app's), and naming a
 * limit it already has would send the reader round in circles.
 */
export function outOfDescriptors(limit: number | undefined): string {
  if (limit === undefined) return `out of file descriptors (ulimit -n); raise the limit to ${ENOUGH_OPEN_FILES} or more`;
  if (limit < ENOUGH_OPEN_FILES) return `out of file descriptors: ulimit -n is ${limit}; raise it to ${ENOUGH_OPEN_FILES} or more`;
  return `out of file descriptors: all ${limit} that ulimit -n allows are open; a lower -c, or a higher limit, leaves some free`;
}
