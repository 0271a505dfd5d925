import fs from 'node:fs';
import type { BatchStats } from '../engine/stats.js';
import { countRecords } from '../ui/count-records.js';
import type { CliConfig } from './config.js';

/**
 * Records of the input that got no row in a stopped run, for the summary's "N not run": the
 * progress display's total when it has one, else the file counted now (a stream, flat memory).
 * Null for stdin or a pipe, whose end nobody saw.
 */
export async function countNotRun(config: CliConfig, stats: BatchStats, knownTotal: number | undefined, signal: AbortSignal): Promise<number | null> {
  let total = knownTotal;
  if (total === undefined && config.input.kind === 'file') {
    try {
      if (!fs.statSync(config.input.path).isFile()) return null;
      total = await countRecords(config.input.path, config.inputFormat === 'auto' ? 'txt' : config.inputFormat, signal);
    } catch {
      return null;
    }
  }
  if (total === undefined) return null;
  return Math.max(0, total - (stats.ok + stats.failed + stats.skipped));
}

/** Said after a stop when answers only went to the screen: there is nothing to --resume. */
export function unsavedNote(config: CliConfig): string | undefined {
  if (config.output.kind !== 'terminal') return undefined;
  return 'no results were saved (no -o): the answers above are all there is; run with -o FILE to keep them and --resume after a stop';
}
