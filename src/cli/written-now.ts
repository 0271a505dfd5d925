import { lockHeld } from '../output/index.js';
import { lockPath } from '../output/side-paths.js';

/**
 * The line `report`, `merge` and `--compact` write to stderr for a results file a run is still
 * writing (it holds the file's lock): what they read is the rows written so far. Asked before the
 * rows are read. Undefined when no run holds the lock.
 */
export function writtenNowNote(file: string, command: 'report' | 'merge' | 'compaction'): string | undefined {
  if (!lockHeld(file)) return undefined;
  return `llm-batch: ${file} is still being written by a run in progress (it holds ${lockPath(file)}): the ${command} covers the rows written so far\n`;
}

/**
 * The line `merge` and `--compact` write, even under -q, for a results file that ends with a row
 * cut short (a write interrupted by a crash or a full disk; or a CSV saved without its last line
 * end, which cannot be told from one): that row is left out of the copy, and a `--resume` of the
 * run that wrote the file asks its prompt again.
 */
export function tornRowNote(file: string): string {
  return `llm-batch: ${file} ends with a row cut short (no line end after it), left out; a --resume of its run asks that prompt again\n`;
}
