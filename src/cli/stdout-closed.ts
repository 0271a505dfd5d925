import fs from 'node:fs';

/**
 * Whether stdout is the /dev/null node opens in place of a closed descriptor (`llm-batch q.txt >&-`):
 * opened read-write, where a shell's `> /dev/null` opens it write-only. Rows written there are paid
 * for and lost, where `cat f >&-` fails. Linux only (/proc/self/fdinfo tells the open's flags):
 * elsewhere, false.
 */
export function stdoutIsClosed(fd: number | undefined): boolean {
  if (fd === undefined) return false;
  let flags: string | undefined;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isCharacterDevice() || stat.rdev !== fs.statSync('/dev/null').rdev) return false;
    flags = /^flags:\s*([0-7]+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
  } catch {
    return false;
  }
  // O_ACCMODE: the access mode's two bits.
  return flags !== undefined && (Number.parseInt(flags, 8) & 3) === fs.constants.O_RDWR;
}
