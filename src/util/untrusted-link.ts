import fs from 'node:fs';
import path from 'node:path';

/** Sticky and writable by all, as /tmp is: anyone may add a name there, only its owner remove it. */
const SHARED = 0o1002;

/** A symlink on the way to a file that is not followed (see untrustedLink). `code` is stable. */
export class UntrustedLinkError extends Error {
  override readonly name = 'UntrustedLinkError';
  readonly code = 'EUNTRUSTEDLINK';
}

/**
 * Why `file` must not be written through, or undefined: it is (or its link leads to) a symlink that
 * someone other than this user and the directory's owner made in a shared directory, sticky and
 * writable by all (/tmp, a team's pub/). That is the rule of the kernel's fs.protected_symlinks,
 * which refuses such a link to open(2); a file replaced by a rename resolves the link itself and
 * renames over its target, which the kernel never sees as a follow. Without it, anyone who can write
 * to /tmp could plant `/tmp/out.jsonl.meta.json` → `~/.ssh/authorized_keys` and have a run replace
 * that file. A link of one's own, or in a directory of one's own, is followed as before.
 */
export function untrustedLink(file: string): string | undefined {
  const uid = process.geteuid?.();
  if (uid === undefined) return undefined; // Windows: no such directories
  let at = path.resolve(file);
  try {
    // Each link of a chain, as the kernel checks each; 40 is its limit too (a loop fails elsewhere).
    for (let hop = 0; hop < 40; hop++) {
      const link = fs.lstatSync(at, { throwIfNoEntry: false });
      if (!link?.isSymbolicLink()) return undefined;
      const dir = path.dirname(at);
      const parent = fs.statSync(dir);
      if ((parent.mode & SHARED) === SHARED && link.uid !== uid && link.uid !== parent.uid) {
        const what = `a symlink that another user (uid ${link.uid}) made in ${dir}, a directory anyone can write to: not followed`;
        return hop === 0 ? `it is ${what}` : `it leads to ${at}, ${what}`;
      }
      at = path.resolve(dir, fs.readlinkSync(at));
    }
  } catch {
    // A path that cannot be looked up: the write that follows says why.
  }
  return undefined;
}

/** Throws UntrustedLinkError when `file` leads through such a link (see untrustedLink). */
export function refuseUntrustedLink(file: string): void {
  const why = untrustedLink(file);
  if (why) throw new UntrustedLinkError(why);
}
