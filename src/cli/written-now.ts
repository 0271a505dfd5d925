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
