import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { untrustedLink } from '../util/untrusted-link.js';
import { pathProblem } from './path-problem.js';
import { tempPathOf } from '../util/temp-path.js';
import { statIfThere } from '../util/stat-if-there.js';

/**
 * How a file is written: `temp`, through `FILE.PID.tmp` renamed into place (--report, the `-o` of
 * `--compact`, `merge` and `report`), or `direct`, under its own name (--summary-json, a run's rows).
 */
export type WrittenAs = 'temp' | 'direct';

/**
 * A file the run writes at its end must be writable before the first request is paid for: its
 * directory exists and takes files, and it is not itself a directory.
 */
export function checkWritableFile(file: string, flag: string, as: WrittenAs = 'temp'): void {
  const why = unwritableReason(file, as);
  if (why) throw new UsageError(`${flag} ${file}: ${why}`);
}

/** Why `file` cannot be created or written (`permission denied`, `no such directory …`), or undefined. */
export function unwritableReason(file: string, as: WrittenAs = 'temp'): string | undefined {
  const planted = untrustedLink(file);
  if (planted) return planted;
  // `-o results/`: a directory's name (resolved, its slash goes, and the check was of its parent's:
  // "cannot create a file in ." for a directory that exists).
  const slash = endsInSeparator(file);
  if (slash !== undefined && !existsAsDirectory(file)) {
    return `the name ends in "${slash}", a directory's, and there is no directory ${path.resolve(file)}: give a file name`;
  }
  const dir = path.dirname(path.resolve(file));
  let why: string | undefined;
  try {
    if (!fs.statSync(dir).isDirectory()) why = `${dir} is not a directory`;
    else {
      const existing = statIfThere(file);
      if (existing?.isDirectory()) why = 'is a directory';
      else if (existing) fs.accessSync(file, fs.constants.W_OK);
      else why = uncreatableReason(file, dir, as);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? `no such directory ${dir}` : pathProblem(err);
  }
  return why;
}

/** The separator `file` ends in (`\\` only where it is one), or undefined. */
function endsInSeparator(file: string): string | undefined {
  const last = file.at(-1);
  return last === '/' || (last === '\\' && path.sep === '\\') ? last : undefined;
}

/**
 * Whether `file` is a directory. Any failure to tell (ENOTDIR through a file, a symlink loop, a name
 * too long) is left to the checks below, which say it in their words: thrown here, it was exit 70.
 */
function existsAsDirectory(file: string): boolean {
  try {
    return statIfThere(file)?.isDirectory() ?? false;
  } catch {
    return true;
  }
}

/**
 * Why a run could not write `side` (a file it keeps beside one the user named, such as OUT.meta.json)
 * because its name, with the `.PID.tmp` of the temporary file it is written through, is longer than
 * the file system takes; undefined when it is not. A name the user typed may fit where those do not:
 * the run failed on them after its checks, in the system's words ("ENAMETOOLONG: … stat '…'").
 */
export function sideNameTooLong(side: string): string | undefined {
  const temp = tempPathOf(side);
  try {
    fs.statSync(temp, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') return tooLongBeside(temp);
  }
  return undefined;
}

const tooLongBeside = (temp: string): string =>
  `the name is too long for the files kept beside it (${path.basename(temp)} is longer than the file system takes)`;

/**
 * Whether a new `file` can be made, found by making a file of its name with this process's suffix
 * (`FILE.PID.tmp`, as the atomic writers name theirs) and removing it again. access(W_OK) on the
 * directory is not enough: root passes it everywhere, yet /proc, /sys, an immutable directory or a
 * name too long for the file system take no new file, which the run would learn only at its end.
 *
 * Not `file` itself: two runs started together on one new output both found it missing, and the
 * one the lock then refused removed the file the other had meanwhile opened, whose rows went to a
 * file no longer on disk (both runs exited 2, every answer paid for and lost).
 */
function uncreatableReason(file: string, dir: string, as: WrittenAs): string | undefined {
  fs.accessSync(dir, fs.constants.W_OK);
  const probe = tempPathOf(file);
  const why = probeReason(probe, dir);
  if (why !== 'ENAMETOOLONG') return why;
  // The probe's name is longer than the file's: the file fits when it is written under its own.
  if (as === 'direct') {
    const short = probeReason(path.join(dir, `.llm-batch-${process.pid}.tmp`), dir);
    return short === 'ENAMETOOLONG' ? undefined : short;
  }
  return `the name is too long for the temporary file it is written through (${path.basename(probe)} is longer than the file system takes)`;
}

/** Makes and removes `probe`: undefined when that worked, 'ENAMETOOLONG', or why not in words. */
function probeReason(probe: string, dir: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(probe, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // This process's own leftover (a check it did not finish): the directory takes files.
    if (code === 'EEXIST') return void fs.rmSync(probe, { force: true });
    if (code === 'ENAMETOOLONG') return code;
    return `cannot create a file in ${dir} (${code ?? (err as Error).message})`;
  }
  fs.closeSync(fd);
  fs.rmSync(probe, { force: true });
  return undefined;
}
