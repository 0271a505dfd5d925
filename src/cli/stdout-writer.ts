import fs from 'node:fs';
import { stdoutFileWriter, streamWriter, type CsvLayout, type OutputFormat, type RowWriter } from '../output/index.js';
import { fdInfo } from '../util/fd-info.js';
import { terminalSafeRows } from './terminal-rows.js';

/**
 * The writer of rows to stdout (`-o -`, no `-o` off a terminal, `-o /dev/stdout`). Redirected to a
 * regular file and writing at its end, as `-o` writes (see stdoutFileWriter): a full disk's torn
 * row is cut off again and not counted. Else through the stream, shown safely on a terminal.
 */
export function stdoutWriter(stdout: NodeJS.WritableStream, format: OutputFormat, layout: CsvLayout, release?: () => void, ascii = false): RowWriter {
  const fd = fileAtItsEnd(stdout);
  if (fd !== undefined) return stdoutFileWriter(fd, format, layout);
  return streamWriter(terminalSafeRows(stdout, undefined, ascii), format, layout, release ? { release } : {});
}

/**
 * The descriptor of `stream` when it is a regular file written at its end: opened to append (`>>`)
 * or its offset where the file ends (`>`), as Linux's /proc/self/fdinfo says; elsewhere, only an
 * empty file (as `>` leaves it). One written mid-file (`1<> f`) is left to the stream: cutting a
 * torn row off there would cut the file's own bytes after it.
 */
function fileAtItsEnd(stream: NodeJS.WritableStream): number | undefined {
  const fd = (stream as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return undefined;
  let size: number;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return undefined;
    size = stat.size;
  } catch {
    return undefined;
  }
  const info = fdInfo(fd);
  if (info === undefined) return size === 0 ? fd : undefined;
  return (info.flags & fs.constants.O_APPEND) !== 0 || info.pos === size ? fd : undefined;
}
