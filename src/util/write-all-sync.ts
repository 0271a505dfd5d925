import fs from 'node:fs';
import { sleepSync } from './sleep-sync.js';

/**
 * fs.writeSync may write fewer bytes than asked (e.g. near a full disk or a file-size limit) without
 * an error; keep going until all are out, so the next write reports the failure instead of a file
 * silently cut short. The string goes down as it is (no Buffer per call); only a short write pays for one.
 * A descriptor node made non-blocking (our stdout when it is a socket: Node's spawn, execa, systemd)
 * says EAGAIN while its reader is behind: the write waits for it (see writeSome).
 * Returns the bytes written: all of `data`'s.
 */
export function writeAllSync(fd: number, data: string): number {
  let written: number;
  try {
    written = fs.writeSync(fd, data);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    written = 0;
  }
  const total = Buffer.byteLength(data, 'utf8');
  if (written === total) return total;
  const buf = Buffer.from(data, 'utf8');
  let offset = written;
  while (offset < total) offset += writeSome(fd, buf, offset, total - offset);
  return total;
}

/**
 * How long a descriptor that takes nothing (EAGAIN) is waited for before the write fails with it. The
 * wait holds the event loop (a signal is handled after it, the output lock's heartbeat stops), so it
 * stays well under the 35 s after which another run may take a lock whose heartbeat stopped. A pipe
 * opened by name blocks in write(2) without any limit; a socket cannot be opened by name at all.
 */
const EAGAIN_LIMIT_MS = 20_000;

/** One write of what is left, waiting (1 ms, doubling to 50) while the descriptor says EAGAIN. */
function writeSome(fd: number, buf: Buffer, offset: number, length: number): number {
  let waited = 0;
  for (let ms = 1; ; ms = Math.min(ms * 2, 50)) {
    try {
      return fs.writeSync(fd, buf, offset, length);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || waited >= EAGAIN_LIMIT_MS) throw err;
      sleepSync(ms);
      waited += ms;
    }
  }
}
