import fs from 'node:fs';
import { renameDurably } from '../util/rename-durably.js';
import { openReplacementTemp } from '../util/replacement-temp.js';
import { replacementPaths } from '../util/write-file-atomic.js';
import { PLAIN_CSV, streamWriter, type CsvLayout, type LockHandle, type OutputFormat, type RowWriter } from '../output/index.js';
import { ExitCode, RunError } from '../errors.js';
import { openTempRowWriter } from '../output/temp-row-writer.js';
import type { CliIo } from './io.js';
import { localeIsAscii } from '../ui/plain-text.js';
import { listenForHangup } from './stop-signals.js';
import { isStreamTarget, openStreamOutput } from './stream-target.js';
import { terminalSafeRows } from './terminal-rows.js';

export interface ReplacingWriter {
  writer: RowWriter;
  /** Closes the writer and puts the new file in place of the old one. */
  commit(): Promise<void>;
  /** Closes the writer and removes the new file: the old one stays as it was (or there is none). */
  abandon(): Promise<void>;
  /** A failure of the writer or the commit, in the words of the file asked for (see abandonedError). */
  failed?(err: unknown): unknown;
}

/**
 * The `-o` file `--compact` and `merge` write: the rows go to a temp file beside the file the path
 * leads to, renamed over it once every row is written (and the folder fsynced: see renameDurably).
 * A source that fails half-way (a line that is not a row, a full disk) leaves an `--overwrite`n file
 * as it was, and no empty file that the next attempt would be refused as "already exists". A
 * symlinked path keeps its link, and the new file the old one's mode (see openReplacementTemp).
 *
 * With `io`, Ctrl-C, SIGTERM and a hangup (as a run takes them, see listenForHangup) remove the temp
 * file at once and end the process with exit 130, the file as it was: Node's own end at a signal
 * left `FILE.PID.tmp` beside it. `exit` is for tests.
 */
export function openReplacingWriter(
  file: string,
  format: OutputFormat,
  csv: CsvLayout | undefined,
  io?: CliIo,
  exit: (code: number) => void = (code) => process.exit(code),
): ReplacingWriter {
  const { target, tmp } = replacementPaths(file);
  // Listening before the temp file is made: a signal from then on must not meet Node's own end,
  // which leaves the file behind (the kernel kills a process with no handler at once).
  const unlisten = io ? listenForInterrupt(io, file, tmp, exit) : () => {};
  let writer: RowWriter;
  try {
    writer = openTempRowWriter(tmp, target, format, csv);
  } catch (err) {
    unlisten();
    throw err;
  }
  return {
    writer,
    async commit() {
      try {
        await writer.close();
        renameDurably(tmp, target);
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        throw abandonedError(err, tmp, file);
      } finally {
        unlisten();
      }
    },
    async abandon() {
      await writer.close().catch(() => {});
      fs.rmSync(tmp, { force: true });
      unlisten();
    },
    failed: (err) => abandonedError(err, tmp, file),
  };
}

/**
 * A write to the temp file that failed (a full disk: `Cannot write to output file c.jsonl.123.tmp:
 * ENOSPC…`) named the temp file, gone by the time it is read, and not that `-o` was left alone: it
 * names the file asked for and says so, as an interrupt does.
 */
function abandonedError(err: unknown, tmp: string, file: string): unknown {
  if (!(err instanceof Error) || !err.message.includes(tmp)) return err;
  err.message = err.message.replaceAll(tmp, file);
  return leftAlone(err, file);
}

function leftAlone(err: Error, file: string): Error {
  err.message = `${err.message}: nothing was written to ${file} (it is as it was)`;
  return err;
}

export interface ReplacingFile {
  /** Where the new text goes: the temp file, written as the text comes. */
  writer: NodeJS.WritableStream;
  /** Ends the stream, fsyncs and closes the temp file and puts it in place of the old one. */
  commit(): Promise<void>;
  /** Closes and removes the temp file: the old one stays as it was (or there is none). */
  abandon(): Promise<void>;
  /** A failure to write the text, saying that the file was left alone. */
  failed(err: unknown): unknown;
}

/**
 * A file written whole as text (`report -o FILE`), replaced as {@link openReplacingWriter} replaces
 * rows: a temp file opened now, renamed over the file once all is written, removed at once with
 * exit 130 on Ctrl-C, SIGTERM and a hangup (`io`), the file as it was. `exit` is for tests.
 */
export function openReplacingFile(file: string, io?: CliIo, exit: (code: number) => void = (code) => process.exit(code)): ReplacingFile {
  const { target, tmp } = replacementPaths(file);
  // Listening before the temp file is there: a signal sent once it is seen must not find Node's own end.
  const unlisten = io ? listenForInterrupt(io, file, tmp, exit) : () => {};
  let fd: number;
  try {
    fd = openReplacementTemp(tmp, target);
  } catch (err) {
    unlisten();
    throw err;
  }
  // Written asynchronously, so that a signal is taken while the text goes out, not once it is all out.
  const writer = fs.createWriteStream('', { fd, autoClose: false });
  let open = true;
  const close = () => {
    if (open) fs.closeSync(fd);
    open = false;
  };
  return {
    writer,
    async commit() {
      try {
        await new Promise<void>((resolve, reject) => {
          writer.once('error', reject);
          writer.end(() => resolve());
        });
        fs.fsyncSync(fd);
        close();
        renameDurably(tmp, target);
      } catch (err) {
        try {
          close();
        } catch {}
        fs.rmSync(tmp, { force: true });
        throw err;
      } finally {
        unlisten();
      }
    },
    async abandon() {
      // No write is under way: the writer's failure, or a step before it, is why the file is abandoned.
      try {
        close();
      } catch {}
      fs.rmSync(tmp, { force: true });
      unlisten();
    },
    failed: (err) => (err instanceof RunError && err.code === 'output' ? leftAlone(err, file) : err),
  };
}

/** Removes `tmp` and exits 130 on SIGINT, SIGTERM or (a terminal's) SIGHUP; returns the unlisten. */
function listenForInterrupt(io: CliIo, file: string, tmp: string, exit: (code: number) => void): () => void {
  const say = (line: string) => io.stderr.write(`llm-batch: ${line}\n`);
  const interrupted = () => {
    fs.rmSync(tmp, { force: true });
    say(`interrupted: nothing was written to ${file} (it is as it was)`);
    exit(ExitCode.interrupted);
  };
  const off = [io.onSignal('SIGINT', interrupted), io.onSignal('SIGTERM', interrupted), listenForHangup(io, interrupted, say)];
  return () => {
    for (const f of off) f();
  };
}

/** An output written as it goes (stdout, or an `-o` that is a stream): nothing to put in place. */
export function writtenInPlace(writer: RowWriter): ReplacingWriter {
  return { writer, commit: () => writer.close(), abandon: () => writer.close().catch(() => {}) };
}

/** Writes `output` with `write`: committed once `write` is done, abandoned (and rethrown) if it fails. */
export async function writeWhole<W, T>(
  output: { writer: W; commit(): Promise<void>; abandon(): Promise<void>; failed?(err: unknown): unknown },
  write: (writer: W) => Promise<T>,
): Promise<T> {
  let result: T;
  try {
    result = await write(output.writer);
  } catch (err) {
    await output.abandon();
    throw output.failed?.(err) ?? err;
  }
  await output.commit();
  return result;
}

/**
 * Where `merge` and `--compact` write: stdout (no path) or a stream such as a FIFO or /dev/stdout,
 * written as it goes; else a file, replaced only once every row is in its place. `lock` (the file's,
 * see lockReplacedOutput) is released before an interrupt ends the process, which skips the caller's
 * `finally`.
 */
export function openWholeOutput(path: string | undefined, format: OutputFormat, csv: CsvLayout | undefined, io: CliIo, lock?: LockHandle): ReplacingWriter {
  if (path === undefined) return writtenInPlace(streamWriter(terminalSafeRows(io.stdout, undefined, localeIsAscii(io.env)), format, csv));
  if (isStreamTarget(path)) return writtenInPlace(openStreamOutput(path, format, csv ?? PLAIN_CSV, io));
  return openReplacingWriter(path, format, csv, io, (code) => {
    lock?.release();
    process.exit(code);
  });
}
