import { closeSync, existsSync, fsyncSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { realpathSync } from './same-file.js';
import { renameDurably } from './rename-durably.js';
import { openReplacementTemp } from './replacement-temp.js';
import { refuseUntrustedLink } from './untrusted-link.js';
import { ownFdOf, writeWholeFile } from './own-fd.js';
import { tempPathOf } from './temp-path.js';

/**
 * Replaces `file` with `text` atomically: a temp file written and fsynced, renamed over it, then
 * the folder fsynced. A kill at any instant leaves the old or the new file, never half of one, and
 * what the new one says is on disk. The new file keeps the old one's mode (see openReplacementTemp).
 * Throws the file system's error, the temp file removed.
 *
 * `beforeRename` runs once the new text is safely in the temp file, just before the rename: what must
 * happen after the writes that may fail (a full disk) and before the new file is in place. What it
 * throws stops the replacement.
 *
 * A symlink keeps pointing where it did: the file it leads to is the one replaced, unless another
 * user planted the link in a shared directory (see untrustedLink: UntrustedLinkError). A path that is
 * not a regular file (`/dev/null`, a FIFO) is written in place: renamed over, it would become a plain
 * file (as root, `/dev/null` for every process on the machine); one of this process's own
 * descriptors (`/dev/stdout`, `/dev/fd/3`) is written through it.
 */
export function writeFileAtomic(file: string, text: string, beforeRename?: () => void): void {
  // `/dev/stdout` and its kin into a file: through this process's own descriptor (see ownFdOf).
  const own = ownFdOf(file) !== undefined;
  if (!own) refuseUntrustedLink(file);
  const stat = own ? undefined : statSync(file, { throwIfNoEntry: false });
  if (own || (stat && !stat.isFile())) {
    // Written in place, nothing kept there to pair with what it runs before (a FIFO, /dev/null, a
    // descriptor's file): after the write, which may fail.
    writeWholeFile(file, text);
    beforeRename?.();
    return;
  }
  const { target, tmp } = replacementPaths(file, stat !== undefined);
  try {
    const fd = openReplacementTemp(tmp, target);
    try {
      writeFileSync(fd, text); // loops until all is written, as one writeSync need not
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    beforeRename?.();
    renameDurably(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * What replacing `file` by a rename writes: the file it leads to (a symlink keeps pointing there)
 * and the temp file beside that one, named for this process. Throws UntrustedLinkError for a link
 * another user planted in a shared directory: the file it leads to is not theirs to choose.
 */
export function replacementPaths(file: string, exists = existsSync(file)): { target: string; tmp: string } {
  refuseUntrustedLink(file);
  const target = exists ? realpathSync(file) : file;
  return { target, tmp: tempPathOf(target) };
}
