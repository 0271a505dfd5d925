import fs from 'node:fs';
import tty from 'node:tty';
import { UsageError } from '../errors.js';
import { streamWriter, type CsvLayout, type OutputFormat, type RowWriter } from '../output/index.js';
import { pathProblem } from './path-problem.js';
import { terminalSafeRows } from './terminal-rows.js';
import { stdoutWriter } from './stdout-writer.js';
import { STDERR_NAMES, STDOUT_NAMES } from './std-stream-names.js';
import { localeIsAscii } from '../ui/plain-text.js';

/**
 * `-o /dev/null`, `-o /dev/stdout`, a FIFO: an output that is not a regular file is a stream. It
 * gets no lock (but for --batch-api's state beside a FIFO) and no `.meta.json` next to it (creating
 * `/dev/null.lock` fails as a user, and litters /dev as root), cannot be resumed, and is appended to
 * rather than truncated. A path that cannot be looked up (EACCES, ENOTDIR, ELOOP, ENAMETOOLONG) is no
 * stream: the writability check then refuses it in one line.
 */
export function isStreamTarget(file: string): boolean {
  if (isOwnStdStream(file)) return true;
  try {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    // Under /dev and /proc whatever is there: `-o /dev/fd/3` with `3>>rows.jsonl` appends to the
    // file fd 3 holds. What is not there (`/proc/x.jsonl`, a closed `/dev/fd/9`) is no stream: the
    // writability check refuses it before a request is paid for, where opening it failed at the end.
    if (/^\/(dev|proc)\//.test(file)) return stat !== undefined;
    return stat !== undefined && !stat.isFile() && !stat.isDirectory();
  } catch {
    return false;
  }
}

/** Whether `file` names this process's own stdout or stderr, which openStreamOutput writes through the streams it holds. */
export const isOwnStdStream = (file: string): boolean => STDOUT_NAMES.test(file) || STDERR_NAMES.test(file);

/** The process's own streams, and its environment (for the locale: see terminalSafeRows). */
interface OwnStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

const ascii = (own: OwnStreams): boolean => own.env !== undefined && localeIsAscii(own.env);

/**
 * The writer for an output that {@link isStreamTarget} calls a stream. The process's own
 * stdout/stderr, named as files, are written through the streams it holds: opening /dev/stdout
 * fails with ENXIO when it is a socket (Node's spawn, many process supervisors).
 */
export function openStreamOutput(file: string, format: OutputFormat, layout: CsvLayout, own: OwnStreams & { releaseStdout?: () => void }): RowWriter {
  if (STDOUT_NAMES.test(file)) return stdoutWriter(own.stdout, format, layout, own.releaseStdout, ascii(own));
  if (STDERR_NAMES.test(file)) return streamWriter(terminalSafeRows(own.stderr, undefined, ascii(own)), format, layout);
  return openStreamTarget(file, format, layout, own);
}

/**
 * Which of our own std streams `fd` is the terminal of (`-o /dev/tty`, `-o /dev/pts/3` naming the
 * terminal stderr or stdout is on): written through that stream, rows go above the status line as
 * `-o /dev/stderr`'s do. Written apart, they landed at the end of the bar's line.
 */
function ownTerminal(fd: number, own: OwnStreams): NodeJS.WritableStream | undefined {
  if (!tty.isatty(fd)) return undefined;
  const device = fs.fstatSync(fd).rdev;
  for (const [std, stream] of [
    [2, own.stderr],
    [1, own.stdout],
  ] as const) {
    try {
      // /dev/tty is the controlling terminal whatever its own device number says: the one a std
      // stream on a terminal is on, but for a process its terminal was handed to (rare).
      if (tty.isatty(std) && (device === CONTROLLING_TERMINAL || fs.fstatSync(std).rdev === device)) return stream;
    } catch {
      // A std stream closed: not that terminal.
    }
  }
  return undefined;
}

/** /dev/tty's device number (major 5, minor 0), which stands for the process's controlling terminal. */
const CONTROLLING_TERMINAL = 0x500;

/**
 * Rows to a stream target; closing flushes and closes the file, and says if that failed. Opened now,
 * so that a device that takes no writes (`-o /dev/fd/9` naming no open descriptor: ENXIO) is refused
 * before a request is paid for, not when the first row comes. Not a FIFO or pipe: opening one waits
 * for its reader (a live run waits for it itself, see fifo-output.ts).
 */
function openStreamTarget(file: string, format: OutputFormat, layout: CsvLayout, own: OwnStreams): RowWriter {
  if (fs.statSync(file, { throwIfNoEntry: false })?.isFIFO())
    return streamWriter(fs.createWriteStream(file, { flags: 'a' }), format, layout, { end: true, name: file });
  let fd: number;
  try {
    fd = fs.openSync(file, 'a');
  } catch (err) {
    throw new UsageError(`--output ${file}: ${pathProblem(err)}`);
  }
  const terminal = ownTerminal(fd, own);
  if (terminal) {
    fs.closeSync(fd);
    return streamWriter(terminalSafeRows(terminal, true, ascii(own)), format, layout);
  }
  // `-o /dev/tty`, `-o /dev/pts/3`: a terminal too, shown safely as stdout would be.
  return streamWriter(terminalSafeRows(fs.createWriteStream(file, { fd }), tty.isatty(fd), ascii(own)), format, layout, { end: true, name: file });
}
