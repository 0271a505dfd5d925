import fs from 'node:fs';

/**
 * Makes `tmp`, the temp file that will be renamed over `replaced`, and returns its descriptor, open
 * for writing. It is made anew (`wx`), so a symlink or a file someone planted at that name is not
 * followed or reused; one left there (by a dead process of this pid, or a killed compaction) is
 * removed first. It gets the mode of the file it replaces, exactly (a `chmod 600` file would
 * otherwise come back as 0644: the umask narrows open's mode, so it is set again with fchmod), and
 * its owner and group where this process may give them; when the group cannot be kept, the group
 * gets no access (it would be another group). A new file gets open's default, 0666 less the umask.
 * Throws the file system's error, the temp file removed.
 */
export function openReplacementTemp(tmp: string, replaced: string): number {
  const old = fs.statSync(replaced, { throwIfNoEntry: false });
  const fd = openNew(tmp, old ? old.mode & 0o777 : 0o666);
  if (!old) return fd;
  try {
    let mode = old.mode & 0o7777;
    if (!keepOwner(fd, old)) mode &= ~0o070;
    fs.fchmodSync(fd, mode);
    return fd;
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** Opens a new `tmp` (`wx`), removing once what is there already: never a file opened through a link. */
function openNew(tmp: string, mode: number): number {
  try {
    return fs.openSync(tmp, 'wx', mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    fs.rmSync(tmp); // the link itself, not what it leads to; a directory is not removed (it throws)
    return fs.openSync(tmp, 'wx', mode);
  }
}

/** Gives the new file `old`'s owner and group, or its group only (a group of ours); whether the group is `old`'s now. */
function keepOwner(fd: number, old: fs.Stats): boolean {
  const made = fs.fstatSync(fd);
  if (made.uid === old.uid && made.gid === old.gid) return true;
  for (const uid of [old.uid, made.uid]) {
    try {
      fs.fchownSync(fd, uid, old.gid);
      return true;
    } catch {
      // Not root (or not a member of that group): tried with our own uid, then given up.
    }
  }
  return made.gid === old.gid;
}
