import fs from 'node:fs';
import { RunError } from '../errors.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { unreadableReason } from './path-problem.js';

/**
 * A missing, unreadable or directory input file, or a stdin that is a directory, told before the key
 * is asked for: it is wrong with or without a key. Checked without opening it: a FIFO (`<(cmd)`)
 * opened and closed here would lose what its writer sent, and the run opens it once, later (its own
 * error stays for a file that goes away meanwhile). A module of its own: a run refused here loads
 * none of the input readers.
 */
export function checkInputFile(config: CliConfig, stdin: CliIo['stdin']): void {
  if (config.input.kind === 'stdin') {
    checkStdinNotDirectory(stdin);
    return;
  }
  const file = config.input.path;
  const why = unreadableReason(file);
  if (why) throw new RunError(`cannot read input file ${file}: ${why}`, 'input');
}

/**
 * `llm-batch < /tmp`: node ends a stdin that is a directory at once and without an error, which
 * read as an empty input (exit 5, an output made); only an fstat of its descriptor tells.
 */
export function checkStdinNotDirectory(stdin: CliIo['stdin']): void {
  const fd = (stdin as { fd?: unknown }).fd;
  if (typeof fd !== 'number') return;
  let directory: boolean;
  try {
    directory = fs.fstatSync(fd).isDirectory();
  } catch {
    return; // a descriptor fstat cannot see: the read says what is wrong, if anything
  }
  if (directory) throw new RunError('cannot read standard input (<stdin>): is a directory', 'input');
}
