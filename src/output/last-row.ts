import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { snapshotChunks, type FileSnapshot } from './file-snapshot.js';

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
 * Whether the first `size` bytes of a CSV end in a whole record after the header: no quote left
 * open, as many cells as the header. A record cut short has fewer cells, or an open quote. With a
 * `snapshot` of `path`, its bytes are read.
 */
export async function endsInCsvRecord(path: string, size: number, snapshot?: FileSnapshot): Promise<boolean> {
  // Read again from the start: never a pipe's, which is gone (and opening a FIFO waits for a writer).
  if (!snapshot && !(await stat(path).catch(() => undefined))?.isFile()) return false;
  const { parse } = await import('csv-parse'); // loaded only for CSV: it is not on the start-up path
  const parser = parse({ bom: true, skip_empty_lines: true, relax_column_count: true });
  let records = 0;
  let header = 0;
  let last = 0;
  parser.on('data', (record: string[]) => {
    if (records++ === 0) header = record.length;
    last = record.length;
  });
  try {
    const bytes = snapshot ? Readable.from(snapshotChunks({ handle: snapshot.handle, bytes: size })) : createReadStream(path, { start: 0, end: size - 1 });
    await pipeline(bytes, parser);
  } catch {
    return false; // An open quote (a cut inside a quoted cell), or a CSV the readers refuse with file:line.
  }
  return records > 1 && last === header;
}

/**
 * The size of a results file whose last row is whole but lacks its final '\n' (`truncate -s -1`,
 * a shard written with Python's `'\n'.join(rows)`), or undefined: the file ends in '\n', is
 * empty, is not a regular file, or its bytes after the last '\n' are a row torn by a crash (for
 * JSONL not valid JSON; for CSV a record left in an open quote or with fewer cells than the
 * header). Readers take such a row as any other (readCompleteChunks judges the same way) and a
 * resume adds the '\n' before appending; only a torn row is skipped. Cheap when the file ends in
 * '\n' (one byte read); otherwise JSONL reads the last line, CSV parses the file once.
 */
export async function unterminatedRowEnd(path: string, format: 'jsonl' | 'csv'): Promise<number | undefined> {
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
      const whole = format === 'jsonl' ? await lastLineIsJson(fh, size) : await endsInCsvRecord(path, size);
      return whole ? size : undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined; // Unreadable: the reader says why.
  }
}
