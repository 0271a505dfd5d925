import { assertCsvHeader, diffRunMeta, loadResumeState, readRunMeta, repairPartialLine } from '../output/index.js';
import { RunError } from '../errors.js';
import type { BatchStats } from '../engine/stats.js';
import type { PromptRecord } from '../types.js';
import type { CliConfig } from './config.js';

/** With --resume: whether a record already has a row, and whether that row is an error. */
export type ResumeSkip = (record: PromptRecord) => 'done' | 'failed' | undefined;

/**
 * Checks that the results file was written by this same run (or --force-resume), repairs a torn
 * last row, and reads which ids it already answered.
 */
export async function loadResumeSkip(config: CliConfig, path: string, format: 'jsonl' | 'csv', current: Record<string, unknown>): Promise<ResumeSkip> {
  const previous = readRunMeta(path);
  if (previous) {
    const differences = diffRunMeta(previous, current);
    if (differences.length > 0 && !config.forceResume) {
      throw new RunError(
        `${path} was written by a different run (${differences.join('; ')}); refusing to mix results. Pass --force-resume to continue anyway, or write to a new file`,
        'resume',
      );
    }
  }
  if (format === 'csv') assertCsvHeader(path);
  await repairPartialLine(path, format);
  const state = await loadResumeState(path, format);
  return (record) => (state.succeeded.has(record.id) ? 'done' : !config.retryFailed && state.failed.has(record.id) ? 'failed' : undefined);
}

/** The records still to send: those a resumed file has no row for, counted in `stats` as skipped otherwise. */
export async function* skipAnswered(records: AsyncIterable<PromptRecord>, skip: ResumeSkip, stats: BatchStats): AsyncGenerator<PromptRecord> {
  for await (const record of records) {
    const was = skip(record);
    if (!was) yield record;
    else {
      stats.skipped++;
      if (was === 'failed') stats.skippedFailed++;
    }
  }
}
