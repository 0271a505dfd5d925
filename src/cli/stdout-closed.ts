import fs from 'node:fs';
import { fdInfo } from '../util/fd-info.js';

/**
 * Whether stdout (or stdin: `<&-`) is the /dev/null node opens in place of a closed descriptor (`llm-batch q.txt >&-`):
 * opened read-write, where a shell's `> /dev/null` opens it write-only. Rows written there are paid
 * for and lost, where `cat f >&-` fails. Linux only (/proc/self/fdinfo tells the open's flags):
 * elsewhere, false.
 */
export function isClosedDescriptor(fd: number | undefined): boolean {
  if (fd === undefined) return false;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isCharacterDevice() || stat.rdev !== fs.statSync('/dev/null').rdev) return false;
  } catch {
    return false;
  }
  const info = fdInfo(fd);
  // O_ACCMODE: the access mode's two bits.
  return info !== undefined && (info.flags & 3) === fs.constants.O_RDWR;
}
