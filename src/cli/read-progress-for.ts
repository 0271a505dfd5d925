import type { CliIo } from './io.js';
import { isInteractive } from './display-mode.js';
import { stdoutIsPipe } from './piped-stdout.js';
import { readProgress, type ReadProgress, type ReadProgressFactory } from '../ui/file-progress.js';
import { screenedStream } from '../ui/screen.js';
import { withStreams } from './io.js';

/**
 * The progress line of `merge` and `--compact`, which read whole results files (minutes for a
 * multi-GB one): on stderr when it is a terminal, not with -q, and not while the rows go to that
 * terminal or down a pipe to a program that may print there (see rowsFeedAnotherProgram): with
 * `rowsToStdout` (stdout, or a stream that may be it), only when stdout is a file.
 */
export function readProgressFor(io: CliIo, quiet: boolean, rowsToStdout: boolean): ReadProgressFactory | undefined {
  if (quiet || !isInteractive(io, io.stderr)) return undefined;
  if (rowsToStdout && (io.stdout.isTTY === true || stdoutIsPipe(io))) return undefined;
  return (label, total) => readProgress(io.stderr, label, total);
}

/**
 * `io` whose stderr clears the progress line `current()` draws, if any, before each write: a message
 * said while it is drawn (a stop's "interrupted: nothing was written") starts on a line of its own
 * instead of at the end of `compacting out.jsonl: 55%`.
 */
export function aboveReadProgress(io: CliIo, current: () => ReadProgress | undefined): CliIo {
  const stderr = screenedStream(io.stderr, (text) => {
    current()?.clear();
    return io.stderr.write(text);
  });
  return withStreams(io, { stderr: stderr as CliIo['stderr'] });
}
