import { createHash } from 'node:crypto';
import type fs from 'node:fs';
import { RunError } from '../errors.js';

/**
 * The input file changed while it was read: the rows written answer it as it was read, partly
 * before and partly after. No `--resume` finishes that (a resume refuses the changed input), so its
 * stop line offers none.
 */
export class InputChangedError extends RunError {
  override readonly name = 'InputChangedError';
  constructor(file: string, how: string) {
    super(
      `${file} changed while it was being read (${how}): what was read of it is partly the file before the change and partly after; run again once nothing writes it (with --overwrite, for an -o file)`,
      'input',
    );
  }
}

/**
 * Whether what was appended to a file of `size` bytes joined its last line: the file did not end a
 * line, and the added text does not begin with one (`\n` or `\r`, in UTF-16 by its byte order mark
 * a whole unit: `上` is `4E 0A` in UTF-16BE, no line break).
 */
function joinedLastLine(seen: ReadonlyMap<number, number>, size: number): boolean {
  const bom = [seen.get(0), seen.get(1)];
  const unit = bom[0] === 0xff && bom[1] === 0xfe ? 'le' : bom[0] === 0xfe && bom[1] === 0xff ? 'be' : undefined;
  const breaks = (a: number | undefined, b: number | undefined): boolean => {
    if (unit === 'le') return (a === 0x0a || a === 0x0d) && b === 0x00;
    if (unit === 'be') return a === 0x00 && (b === 0x0a || b === 0x0d);
    return b === 0x0a || b === 0x0d;
  };
  // The last unit of the file as it was (one byte outside UTF-16), and the first of what was added.
  const ended = breaks(seen.get(size - 2), seen.get(size - 1));
  const added = unit === undefined ? breaks(undefined, seen.get(size)) : breaks(seen.get(size), seen.get(size + 1));
  return !ended && !added;
}

/**
 * A regular input file's bytes as read, checked at their end against the file as it is then. One
 * cut short or rewritten in place meanwhile (a job that regenerates it, `cat new > in.txt`) ended a
 * run at exit 0 with the rows of its first part only, or two files' rows mixed. One that only grew
 * (appended to, its start as read) is fine: what was read is a whole earlier version of it. The
 * bytes are hashed as they pass (~1 GB/s), and read again only when the file was touched.
 */
export async function* unchangedWhileRead(
  bytes: AsyncIterable<Buffer>,
  handle: fs.promises.FileHandle,
  file: string,
  opened: fs.Stats,
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let read = 0;
  /** The file's first two bytes (a UTF-16 byte order mark), its last two when opened, and the first two added. */
  const seen = new Map<number, number>();
  const wanted = [0, 1, opened.size - 2, opened.size - 1, opened.size, opened.size + 1];
  for await (const chunk of bytes) {
    for (const at of wanted) if (at >= read && at < read + chunk.length) seen.set(at, chunk[at - read]!);
    hash.update(chunk);
    read += chunk.length;
    yield chunk;
  }
  const now = await handle.stat();
  // Fewer bytes than it had when opened: the read met its end while it was cut short, however it is
  // now (`cat copy > in.txt` leaves it empty a moment, then whole again).
  if (read < opened.size) throw new InputChangedError(file, `${read} bytes were read of the ${opened.size} it had when opened`);
  // Grown, and read on into what was added, while its last line had no newline: the added text joined
  // that line (`beta` + `gamma` sent as `betagamma`), which the run's own --resume then refuses.
  if (read > opened.size && opened.size > 0 && joinedLastLine(seen, opened.size))
    throw new InputChangedError(file, 'text was appended to it while its last line had no newline, and joined that line');
  if (now.size === opened.size && now.mtimeMs === opened.mtimeMs) return;
  if (now.size < read) throw new InputChangedError(file, `it is ${now.size} bytes now, ${read} were read`);
  const again = createHash('sha256');
  if (read > 0) for await (const chunk of handle.createReadStream({ start: 0, end: read - 1, autoClose: false })) again.update(chunk as Buffer);
  if (!again.digest().equals(hash.digest())) throw new InputChangedError(file, 'rewritten in place');
}
