import type { CliIo } from './io.js';
import { isInteractive } from './display-mode.js';
import { stdoutIsPipe } from './piped-stdout.js';
import { readProgress, type ReadProgressFactory } from '../ui/file-progress.js';

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
