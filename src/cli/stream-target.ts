import fs from 'node:fs';
import { once } from 'node:events';
import { OutputClosedError, RunError } from '../errors.js';
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

/**
 * The writer for an output that {@link isStreamTarget} calls a stream. The process's own
 * stdout/stderr, named as files, are written through the streams it holds: opening /dev/stdout
 * fails with ENXIO when it is a socket (Node's spawn, many process supervisors).
 */
export function openStreamOutput(
  file: string,
  format: OutputFormat,
  layout: CsvLayout,
  own: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): RowWriter {
  if (/^\/(dev\/(stdout|fd\/1)|proc\/self\/fd\/1)$/.test(file)) return streamWriter(own.stdout, format, layout);
  if (/^\/(dev\/(stderr|fd\/2)|proc\/self\/fd\/2)$/.test(file)) return streamWriter(own.stderr, format, layout);
  return openStreamTarget(file, format, layout);
}

/** Rows to a stream target; closing flushes and closes the file. */
function openStreamTarget(file: string, format: OutputFormat, layout: CsvLayout): RowWriter {
  const stream = fs.createWriteStream(file, { flags: 'a' });
  const rows = streamWriter(stream, format, layout);
  return {
    write: (row) => rows.write(row),
    async close() {
      await rows.close();
      if (stream.closed) return;
      stream.end();
      try {
        await once(stream, 'close');
      } catch (err) {
        // Rows still on their way when the reader left (a FIFO's `head -1`): as a write's EPIPE.
        if ((err as NodeJS.ErrnoException).code === 'EPIPE') throw new OutputClosedError();
        throw new RunError(`Cannot write output: ${(err as Error).message}`, 'output');
      }
    },
  };
}
