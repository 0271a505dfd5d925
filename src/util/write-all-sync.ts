import fs from 'node:fs';

/**
 * fs.writeSync may write fewer bytes than asked (e.g. near a full disk or a file-size limit) without
 * an error; keep going until all are out, so the next write reports the failure instead of a file
 * silently cut short. The string goes down as it is (no Buffer per call); only a short write pays for one.
 * Returns the bytes written: all of `data`'s.
 */
export function writeAllSync(fd: number, data: string): number {
  const written = fs.writeSync(fd, data);
  const total = Buffer.byteLength(data, 'utf8');
  if (written === total) return total;
  const buf = Buffer.from(data, 'utf8');
  let offset = written;
  while (offset < total) offset += fs.writeSync(fd, buf, offset, total - offset);
  return total;
}
