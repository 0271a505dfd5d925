import fs from 'node:fs';
import path from 'node:path';

/**
 * realpath(3) in one call where it is the kernel's: a run asks ~50 times before its first request,
 * and node's JavaScript realpathSync runs an lstat and a path.resolve per component (~1 ms of CPU
 * of every run's start, issue 16). Not on Windows, where the native one returns other forms of a
 * path (`\\?\` prefixes, mapped drives).
 */
export const realpathSync: (file: string) => string = process.platform === 'win32' ? (file) => fs.realpathSync(file) : (file) => fs.realpathSync.native(file);

/**
 * Where `file` lands once symlinks are followed, also for a file not made yet: a dangling link
 * (`latest.jsonl -> out.jsonl` before the first run) or a linked directory writes through to its
 * target, so that is what another path must be compared with.
 */
export function landingPath(file: string, depth = 0): string {
  const resolved = path.resolve(file);
  try {
    return realpathSync(resolved);
  } catch {
    // Missing (or unreadable): follow a dangling link by hand, else resolve the directory.
  }
  try {
    if (depth < 16 && fs.lstatSync(resolved).isSymbolicLink()) {
      return landingPath(path.resolve(path.dirname(resolved), fs.readlinkSync(resolved)), depth + 1);
    }
  } catch {
    // Not there at all: the file would be created in its directory.
  }
  const dir = path.dirname(resolved);
  if (dir === resolved) return resolved;
  return path.join(landingPath(dir, depth + 1), path.basename(resolved));
}

const statOf = (file: string): fs.Stats | undefined => {
  try {
    return fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
};

/**
 * Whether two paths are one file on disk: the same name, a symlink to it (also one not created
 * yet), or a hard link (same device and inode). Writing to one would clobber the other. Terminals,
 * pipes and devices are not clobbered: `-o /dev/stdout --trace /dev/stderr` on one terminal is fine.
 */
export function sameFile(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true;
  const sa = statOf(a);
  const sb = statOf(b);
  if ((sa && !sa.isFile()) || (sb && !sb.isFile())) return false;
  if (sa && sb) return sa.dev === sb.dev && sa.ino === sb.ino;
  return landingPath(a) === landingPath(b);
}

const fstatOf = (fd: number | undefined): fs.Stats | undefined => {
  if (fd === undefined) return undefined;
  try {
    return fs.fstatSync(fd);
  } catch {
    return undefined;
  }
};

/** Whether `a` is a regular file and `b` the same one (same device and inode). */
const oneRegularFile = (a: fs.Stats | undefined, b: fs.Stats | undefined): boolean =>
  a !== undefined && b !== undefined && a.isFile() && a.dev === b.dev && a.ino === b.ino;

/**
 * Whether `file` is the regular file open as descriptor `fd` (same device and inode): `llm-batch -o
 * out.jsonl < out.jsonl` reads the file the run is about to write. Pipes, terminals and devices are
 * never it.
 */
export function isOpenAs(file: string, fd: number | undefined): boolean {
  const open = fstatOf(fd);
  return open !== undefined && oneRegularFile(open, statOf(file));
}

/** Whether descriptors `a` and `b` are open on one regular file (`llm-batch < q.txt >> q.txt`). */
export function openAsOne(a: number | undefined, b: number | undefined): boolean {
  return oneRegularFile(fstatOf(a), fstatOf(b));
}

/**
 * Whether reading `file` reads what descriptor `fd` is open on, whatever it is (a pipe too):
 * `-t @/dev/stdin` with the prompts on stdin. Same device and inode.
 */
export function readsDescriptor(file: string, fd: number | undefined): boolean {
  const open = fstatOf(fd);
  const named = statOf(file);
  return open !== undefined && named !== undefined && open.dev === named.dev && open.ino === named.ino;
}

/**
 * Whether `a` and `b` name one stream that can be read once only (a pipe, a FIFO, a socket: not a
 * regular file or a device such as /dev/null, which each reader reads whole): `llm-batch /dev/stdin
 * -t @/dev/fd/0`.
 */
export function oneStream(a: string, b: string): boolean {
  const x = statOf(a);
  const y = statOf(b);
  return x !== undefined && y !== undefined && (x.isFIFO() || x.isSocket()) && x.dev === y.dev && x.ino === y.ino;
}
