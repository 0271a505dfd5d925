import fs from 'node:fs';
import { once } from 'node:events';
import { streamWriter, type CsvLayout, type OutputFormat, type RowWriter } from '../output/index.js';

/**
 * `-o /dev/null`, `-o /dev/stdout`, a FIFO: an output that is not a regular file is a stream. It
 * gets no lock and no `.meta.json` next to it (creating `/dev/null.lock` fails as a user, and
 * litters /dev as root), cannot be resumed, and is appended to rather than truncated.
 */
export function isStreamTarget(file: string): boolean {
  if (/^\/(dev|proc)\//.test(file)) return true;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  return stat !== undefined && !stat.isFile() && !stat.isDirectory();
}

/** Rows to a stream target; closing flushes and closes the file. */
export function openStreamTarget(file: string, format: OutputFormat, layout: CsvLayout): RowWriter {
  const stream = fs.createWriteStream(file, { flags: 'a' });
  const rows = streamWriter(stream, format, layout);
  return {
    write: (row) => rows.write(row),
    async close() {
      await rows.close();
      if (stream.closed) return;
      stream.end();
      await once(stream, 'close');
    },
  };
}
