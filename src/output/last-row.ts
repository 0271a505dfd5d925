import { open, stat, type FileHandle } from 'node:fs/promises';

const BLOCK = 1 << 16;

/** The offset just past the last '\n' in the file's first `size` bytes (0 when they hold none). */
export async function endOfLastLine(fh: FileHandle, size: number): Promise<number> {
  const buf = Buffer.alloc(Math.min(BLOCK, size));
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - BLOCK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl !== -1) return start + nl + 1;
    end = start;
  }
  return 0;
}

/** Whether a JSONL line is one JSON text. A row cut short never is: it lacks its closing brace. */
export function isJsonText(line: Buffer): boolean {
  try {
    JSON.parse(line.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

async function lastLineIsJson(fh: FileHandle, size: number): Promise<boolean> {
  const from = await endOfLastLine(fh, size);
  const buf = Buffer.alloc(size - from);
  const { bytesRead } = await fh.read(buf, 0, buf.length, from);
  return isJsonText(buf.subarray(0, bytesRead));
}

/**
 * The size of a JSONL results file whose last row is whole but lacks its final '\n' (`truncate -s
 * -1`, a shard written with Python's `'\n'.join(rows)`), or undefined: the file ends in '\n', is
 * empty, is not a regular file, or its last line is not valid JSON (a row torn by a crash: a cut
 * row lacks its closing brace). Readers take such a row as any other (readCompleteChunks judges the
 * same way) and a resume adds the '\n' before appending. CSV has no such test: a record cut inside
 * its last unquoted cell still parses whole, so there the missing '\n' alone says torn.
 */
export async function unterminatedJsonlRowEnd(path: string): Promise<number | undefined> {
  try {
    // Never opened unless a regular file: opening a FIFO waits for a writer.
    const info = await stat(path);
    const size = info.size;
    if (!info.isFile() || size === 0) return undefined;
    const fh = await open(path, 'r');
    try {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] === 0x0a) return undefined;
      return (await lastLineIsJson(fh, size)) ? size : undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined; // Unreadable: the reader says why.
  }
}
