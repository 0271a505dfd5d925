import type { BatchOutcome } from '../engine/run-batch.js';
import type { BatchStats } from '../engine/stats.js';
import type { CliConfig } from './config.js';

/** A run that finished without a single record: not a stop, and nothing answered, failed or skipped. */
export function ranNothing(outcome: BatchOutcome, stats: BatchStats): boolean {
  return !outcome.stopped && stats.ok + stats.failed + stats.skipped === 0;
}

/**
 * An input with no prompts at all is almost always a failed export upstream (an empty file, a CSV
 * with only its header, nothing on stdin). A green "0 ok" would hide that from cron; the run says
 * so and exits with its own code, and an `--overwrite` keeps the old results.
 */
export function noPromptsMessage(config: CliConfig): string {
  if (config.input.kind === 'stdin') return 'no prompts on stdin (it was empty or only blank lines): nothing was sent';
  return `no prompts in ${config.input.path} (it is empty, or holds only blank lines or a CSV header): nothing was sent`;
}
