import fs from 'node:fs';
import path from 'node:path';
import { StoreNotWritableError } from './store-writable.js';

/**
 * Room for what LMDB writes of a new store before it maps it (three pages under `ulimit -f`; a fourth
 * to spare): its pages are the system's, 4 KiB on x86, elsewhere up to 64 KiB (arm64 and ppc64
 * kernels built so). A probe of 128 KiB refused a cache that works under `ulimit -f 64` (KiB).
 */
const FIRST_PAGES = 4 * (process.arch === 'x64' || process.arch === 'ia32' ? 0x1000 : 0x10000);

/**
 * Throws where the directory cannot take a new store's first pages (a full disk, a quota, `ulimit -f`).
 * LMDB writes its meta pages into a new or empty file and then maps them: where that write failed it
 * read pages that were never written, and the process died of SIGSEGV or SIGBUS, without a word, in
 * every later run too, until the empty file was removed. Tried on a file of its own, removed at once:
 * the store file may be another process's new store by now, and is not this check's to write.
 */
export function checkRoomForNewStore(dir: string, file: string): void {
  const probe = path.join(dir, `.room-${process.pid}-${Date.now().toString(36)}`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(probe, 'wx', 0o600);
    // A write stopped short by the limit returns what it wrote; the next one gets the error (EFBIG).
    const zeros = Buffer.alloc(FIRST_PAGES);
    for (let at = 0; at < FIRST_PAGES; ) at += fs.writeSync(fd, zeros, at, FIRST_PAGES - at, at);
  } catch (err) {
    throw new StoreNotWritableError(file, roomProblem(err));
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(probe, { force: true });
  }
}

function roomProblem(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EFBIG':
      return 'files that large are not allowed here (ulimit -f)';
    default:
      return (err as Error).message;
  }
}
