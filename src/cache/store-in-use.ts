import fs from 'node:fs';

/**
 * Whether another process has the store open, as far as this system can tell: LMDB holds a POSIX
 * read lock on its `-lock` file for as long as a process has the environment open, and Linux lists
 * every such lock in /proc/locks by the file's inode. `undefined` where that cannot be read (macOS,
 * Windows, a locked-down /proc): the caller must then assume it is in use. `cache clear` asks, since
 * deleting a file a run still writes to would leave that run caching into a file nobody sees.
 */
export function storeInUse(lockFiles: readonly string[], procLocks = '/proc/locks'): boolean | undefined {
  const inodes = new Set<string>();
  for (const file of lockFiles) {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st) inodes.add(String(st.ino));
  }
  if (inodes.size === 0) return false;
  let table: string;
  try {
    table = fs.readFileSync(procLocks, 'utf8');
  } catch {
    return undefined;
  }
  // "1: POSIX  ADVISORY  READ 23640 fe:00:4727957 0 0" (a waiter's line has "->" after the number).
  // Matched by inode alone: a match on another device only keeps the files, which is safe.
  for (const line of table.split('\n')) {
    const device = line.split(/\s+/).find((field) => /^[0-9a-f]+:[0-9a-f]+:\d+$/i.test(field));
    if (device && inodes.has(device.slice(device.lastIndexOf(':') + 1))) return true;
  }
  return false;
}
