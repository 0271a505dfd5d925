import { RunError } from '../errors.js';
import type { CliConfig } from './config.js';
import { unreadableReason } from './path-problem.js';

/**
 * A missing, unreadable or directory input file, told before the key is asked for: it is wrong with
 * or without a key. Checked without opening it: a FIFO (`<(cmd)`) opened and closed here would lose
 * what its writer sent, and the run opens it once, later (its own error stays for a file that goes
 * away meanwhile). A module of its own: a run refused here loads none of the input readers.
 */
export function checkInputFile(config: CliConfig): void {
  if (config.input.kind !== 'file') return;
  const file = config.input.path;
  const why = unreadableReason(file);
  if (why) throw new RunError(`cannot read input file ${file}: ${why}`, 'input');
}
