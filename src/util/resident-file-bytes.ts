import fs from 'node:fs';

let fd: number | null | undefined;
const text = Buffer.alloc(4096);

/**
 * Bytes of memory-mapped files resident in this process (`RssFile`): what the response cache's map
 * adds to RSS. Read from /proc (~7 µs, through a descriptor kept open); undefined where there is
 * none (not Linux), and the caller then cannot tell.
 */
export function residentFileBytes(): number | undefined {
  if (fd === undefined) {
    try {
      fd = fs.openSync('/proc/self/status', 'r');
    } catch {
      fd = null;
    }
  }
  if (fd === null) return undefined;
  const length = fs.readSync(fd, text, 0, text.length, 0);
  const at = text.indexOf('RssFile:');
  if (at < 0 || at >= length) return undefined;
  return Number.parseInt(text.toString('latin1', at + 8, at + 32).trim(), 10) * 1024;
}
