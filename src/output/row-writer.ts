import * as fs from 'node:fs';
import { finished } from 'node:stream/promises';
import { OutputAbandonedError, OutputClosedError, OutputWriteError, RunError } from '../errors.js';
import type { ResultRow } from '../types.js';
import { csvHeaderLine, encodeCsvRow, headerOnce } from './csv-encode.js';
import type { OutputFormat } from './output-format.js';
import { encodeJsonlRow } from './jsonl-encode.js';
import { encodeTextRow } from './text-encode.js';
import { errorMessage, toError } from '../util/error-message.js';
import { PLAIN_CSV, type CsvLayout } from './csv-layout.js';
import { assertCsvHeader, csvLayoutOfFile } from './csv-file-layout.js';
import { peek } from './peek-file.js';
import { fileMovedAway, lockTakenMessage, movedAwayMessage } from './file-in-place.js';
import { rowAppender } from './row-appender.js';

export interface RowWriter {
  /**
   * Writes one whole row. File writers do it with one synchronous append before this returns, so
   * the row is in the file even if the caller never awaits and the process is SIGKILLed right after;
   * a kill during the write can leave at most one torn last line. Stream writers resolve once the
   * stream has written the data (its write callback; also 'drain' when it signalled backpressure).
   * After a failed write the writer refuses further rows; a file writer first cuts the file back
   * to where it ended before that write (only if that fails is a torn last line left).
   */
  write(row: ResultRow): Promise<void>;
  /**
   * Writes whole rows as write() does, all with one append (one stream write): rows that finished
   * together cost one system call. A kill during it can tear only the last of them. When the disk
   * fills part-way, a file writer keeps the rows that reached the file whole and cuts off only the
   * torn one: the OutputWriteError's `rowsKept` says how many of `rows` (the first ones) stayed.
   */
  writeMany?(rows: readonly ResultRow[]): Promise<void>;
  /** Flushes (fsync for files) and releases the file; does not end a caller's stream. Idempotent. */
  close(): Promise<void>;
  /**
   * A file writer looks whether its file is still at its path (see fileMovedAway), and still this
   * run's (see `lockLost`): once removed or moved away, or its lock taken by another run, its next
   * write and its close fail with OutputWriteError saying so, and the run stops rather than write rows
   * nobody will find, or mix them with another run's. Called on the output lock's heartbeat; close() looks too.
   */
  checkInPlace?(): void;
  /**
   * The run's hard stop: from now on a stream writer waits for no reader. The writes (and the flush)
   * still waiting for the stream, and any later one it cannot take at once, reject with
   * OutputAbandonedError: their rows are not in the output. File writers never wait: they have none.
   */
  stopWaiting?(): void;
}

export function encoderFor(format: OutputFormat, layout: CsvLayout = PLAIN_CSV): (row: ResultRow) => string {
  switch (format) {
    case 'jsonl':
      return encodeJsonlRow;
    case 'csv':
      return (row) => encodeCsvRow(row, layout);
    case 'text':
      return encodeTextRow;
  }
}

/** Rows encoded one after the other, as one string. */
function encodeAll(rows: readonly ResultRow[], encode: (row: ResultRow) => string): string {
  if (rows.length === 1) return encode(rows[0]!);
  let data = '';
  for (const row of rows) data += encode(row);
  return data;
}

/**
 * Writes `rows` with the writer's writeMany when it has one, else row by row; a failure says, as
 * writeMany's does, how many of them are in the output (`rowsKept`).
 */
export async function writeEach(writer: RowWriter, rows: readonly ResultRow[]): Promise<void> {
  if (writer.writeMany) return writer.writeMany(rows);
  let written = 0;
  try {
    for (const row of rows) {
      await writer.write(row);
      written++;
    }
  } catch (err) {
    if (err instanceof OutputWriteError && written > 0) throw new OutputWriteError(err.message, written + err.rowsKept);
    throw err;
  }
}

/**
 * Before appending, make sure the new rows cannot merge with or misalign against what is there:
 * the file must end with '\n' (call repairPartialLine first after a crash), and a CSV file must
 * start with our exact header. Text output is for reading only, so it is not checked.
 */
function checkAppendTarget(path: string, format: OutputFormat, layout: CsvLayout): void {
  if (format === 'text') return;
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (size === 0) return;
  if (peek(path, size - 1, 1)[0] !== 0x0a) {
    throw new RunError(
      `Output file ${path} ends with an incomplete line (left by an interrupted run); ` + `repair it (repairPartialLine) before appending.`,
      'output',
    );
  }
  if (format === 'csv') assertCsvHeader(path, layout);
}

/**
 * Opens `path` for rows. append=false creates or truncates; append=true keeps the content and
 * writes the CSV header only when the file is new or empty; a CSV started in the legacy layout is
 * continued in it (its header decides). Throws RunError('output') when the file cannot be opened
 * or is not safe to append to. Its close() fails (OutputWriteError) when the file was removed or
 * moved away meanwhile (see checkInPlace): its rows are not where they were meant to be; so it does
 * once `lockLost` says why the output is no longer this run's.
 */
export function openFileWriter(path: string, format: OutputFormat, opts: { append: boolean; csv?: CsvLayout; lockLost?: () => string | undefined }): RowWriter {
  let fd: number;
  let layout = opts.csv ?? PLAIN_CSV;
  try {
    if (opts.append && format === 'csv') layout = csvLayoutOfFile(path, layout);
    if (opts.append) checkAppendTarget(path, format, layout);
    fd = fs.openSync(path, opts.append ? 'a' : 'w');
  } catch (err) {
    if (err instanceof RunError) throw err;
    throw new RunError(`Cannot open output file ${path}: ${errorMessage(err)}`, 'output');
  }
  const rows = rowAppender(fd, encoderFor(format, layout), path, (err) => `Cannot write to output file ${path}: ${errorMessage(err)}`);
  let closed = false;
  /** Set once the file is found removed or moved away, or its lock taken (see checkInPlace). */
  let lost: OutputWriteError | undefined;
  const checkInPlace = (): void => {
    if (closed || rows.failure) return;
    const how = fileMovedAway(fd, path);
    if (how) lost = new OutputWriteError(movedAwayMessage(path, how, rows.rows));
    const lockLost = opts.lockLost?.();
    if (!how && lockLost !== undefined) lost = new OutputWriteError(lockTakenMessage(path, lockLost, rows.rows));
    if (lost) rows.fail(lost);
  };
  if (format === 'csv' && fs.fstatSync(fd).size === 0) {
    try {
      rows.put([csvHeaderLine(layout)]);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }
  return {
    write: rows.write,
    writeMany: rows.writeMany,
    checkInPlace,
    close(): Promise<void> {
      if (closed) return Promise.resolve();
      checkInPlace();
      closed = true;
      rows.close();
      try {
        try {
          fs.fsyncSync(fd);
        } catch {
          // Not every target supports fsync (pipes, /dev/null); the data was written anyway.
        }
        fs.closeSync(fd);
        // Every row is flushed, to a file no longer where it was meant to be.
        return lost ? Promise.reject(lost) : Promise.resolve();
      } catch (err) {
        return Promise.reject(new RunError(`Cannot close output file ${path}: ${errorMessage(err)}`, 'output'));
      }
    },
  };
}

export interface StreamWriterOptions {
  /**
   * The writer opened the stream (`-o /dev/full`, a FIFO): close() ends it and waits until it has
   * closed, so a failure while flushing is close()'s. A caller's stream (stdout) is left open.
   * @default false
   */
  readonly end?: boolean;
  /**
   * Lets go of a caller's stream the writer gave up on (see RowWriter.stopWaiting); one it opened it
   * destroys itself. Node's own stdout stays open when destroyed, and a write its reader never took
   * would keep the process alive.
   */
  readonly release?: () => void;
  /** The path the rows go to (`-o /dev/full`, a FIFO), named in a failure; stdout's is not. */
  readonly name?: string;
}

/**
 * Writes rows to a stream (stdout). Each row is one `stream.write` call, so concurrent callers never
 * interleave within a row. The CSV header goes out with the first row, or on close when there were
 * no rows. Stream errors reject the pending and later writes with RunError('output'); EPIPE (the
 * reader went away) with OutputClosedError. A write resolves once the stream has written it, so
 * a failure reported later (an asynchronous stream) rejects the write it belongs to; one that comes
 * after every write resolved (a flush at close) rejects close(): a row in a buffer is not a row written.
 * From the run's hard stop (stopWaiting) it waits for no reader: a stream of its own is then
 * destroyed, a caller's is handed to `opts.release`.
 */
// Long by choice: write() and close() share the header, drain, failure and closed state it holds.
export function streamWriter(stream: NodeJS.WritableStream, format: OutputFormat, layout: CsvLayout = PLAIN_CSV, opts: StreamWriterOptions = {}): RowWriter {
  const encode = encoderFor(format, layout);
  const header = headerOnce(format === 'csv', layout);
  let closed = false;
  let failure: RunError | undefined;
  let drain: Promise<void> | undefined;
  /** How to reject each wait the stream has not settled yet (writes, a drain): stopWaiting() settles them. */
  const waiting = new Set<(err: RunError) => void>();
  /** After the hard stop: what the stream cannot write at once is given up (see stopWaiting). */
  let impatient = false;
  /** close() is waiting for a stream of ours to flush and close. */
  let flushing = false;

  const onError = (err: unknown): void => {
    failure ??=
      (err as { code?: unknown } | null)?.code === 'EPIPE'
        ? new OutputClosedError()
        : new OutputWriteError(`Cannot write ${opts.name === undefined ? 'output' : `to output ${opts.name}`}: ${errorMessage(err)}`);
  };
  stream.on('error', onError);

  /** Rejects every wait with OutputAbandonedError and lets go of the stream, whose reader does not read. */
  const giveUp = (): void => {
    failure ??= new OutputAbandonedError();
    for (const reject of waiting) reject(failure);
    waiting.clear();
    if (opts.end) (stream as NodeJS.WritableStream & { destroy?: () => void }).destroy?.();
    else opts.release?.();
  };

  const waitForDrain = (): Promise<void> => {
    drain ??= new Promise<void>((resolve, reject) => {
      const done = (): void => {
        stream.removeListener('drain', onDrain);
        stream.removeListener('error', onFail);
        stream.removeListener('close', onClose);
        waiting.delete(onGiveUp);
        drain = undefined;
      };
      const onGiveUp = (err: RunError): void => {
        done();
        reject(err);
      };
      const onDrain = (): void => {
        done();
        resolve();
      };
      const onFail = (err: unknown): void => {
        done();
        onError(err);
        reject(failure);
      };
      const onClose = (): void => {
        done();
        failure ??= new OutputWriteError('Cannot write output: the stream was closed');
        reject(failure);
      };
      stream.on('drain', onDrain);
      stream.on('error', onFail);
      stream.on('close', onClose);
      waiting.add(onGiveUp);
    });
    return drain;
  };

  /**
   * Settled by the write's callback, not by write() returning true: an fs.WriteStream (-o /dev/full)
   * takes the data at once and fails it later, and a row in its buffer is not a row written. After
   * backpressure also by 'drain' (a terminal's screened stream calls back once it has handed the text on).
   */
  const send = (data: string): Promise<void> => {
    if (failure) return Promise.reject(failure);
    let flowing = true;
    const written = new Promise<void>((resolve, reject) => {
      waiting.add(reject);
      flowing = stream.write(data, (err?: Error | null) => {
        waiting.delete(reject);
        if (err) onError(err);
        if (failure) reject(failure);
        else resolve();
      });
    });
    // After the hard stop, data the stream could not write at once waits for a reader that does not read.
    if (impatient && ((stream as { writableLength?: number }).writableLength ?? 0) > 0) giveUp();
    if (flowing || failure) return written;
    return Promise.all([written, waitForDrain()]).then(() => {
      if (failure) throw failure;
    });
  };

  const sendEncoded = (rows: readonly ResultRow[]): Promise<void> => {
    if (closed) return Promise.reject(new RunError('Output stream writer is already closed', 'output'));
    let data: string;
    try {
      data = encodeAll(rows, encode);
    } catch (err) {
      return Promise.reject(toError(err));
    }
    return send(header() + data);
  };

  return {
    write: (row: ResultRow): Promise<void> => sendEncoded([row]),
    writeMany: sendEncoded,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        const unsent = header();
        if (unsent) {
          await send(unsent);
        } else if (drain !== undefined) {
          await drain;
        }
      } finally {
        // Flushing is when an owned stream's last writes fail (-o /dev/full: ENOSPC only once
        // the file is open), so the listener stays on until it has closed.
        if (opts.end) {
          flushing = true;
          await finished(stream.end(), { cleanup: true }).catch(onError);
          flushing = false;
        }
        stream.removeListener('error', onError);
      }
      if (failure) throw failure;
    },
    stopWaiting(): void {
      impatient = true;
      // A signal comes between turns of the event loop: a write still waiting then is one the stream
      // could not take (a write it takes at once calls back within the turn).
      if (waiting.size > 0 || flushing) giveUp();
    },
  };
}
