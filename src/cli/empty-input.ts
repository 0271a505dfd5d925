import type { BatchOutcome } from '../engine/run-batch.js';
import type { BatchStats } from '../engine/stats.js';
import type { CliConfig } from './config.js';

/**
 * A run that finished without a single record: not a stop, and nothing answered, failed or skipped.
 * `otherShards`: records of the input that --shard left to other shards (then the input was not empty).
 */
export function ranNothing(outcome: BatchOutcome, stats: BatchStats, otherShards = 0): boolean {
  return !outcome.stopped && stats.ok + stats.failed + stats.skipped === 0 && otherShards === 0;
}

/**
 * An input with no prompts at all is almost always a failed export upstream (an empty file, a CSV
 * with only its header, nothing on stdin). A green "0 ok" would hide that from cron; the run says
 * so and exits with its own code, and an `--overwrite` keeps the old results.
 */
export function noPromptsMessage(config: Pick<CliConfig, 'input' | 'inputFormat'>): string {
  if (config.input.kind === 'stdin' && config.input.closed)
    return 'no prompts: stdin is closed (`<&-`, or a job started without an input): give the prompts file as an argument, or pipe it in; nothing was sent';
  // Read as CSV (--input-format csv, --csv-delimiter), stdin may have held a header and no row.
  if (config.input.kind === 'stdin')
    return `no prompts on stdin (it was empty or only blank lines${config.inputFormat === 'csv' ? ', or a CSV header' : config.inputFormat === 'json' ? ', or an empty JSON array' : ''}): nothing was sent`;
  const json = config.inputFormat === 'json';
  return `no prompts in ${config.input.path} (${json ? 'it is empty, or an empty JSON array' : 'it is empty, or holds only blank lines or a CSV header'}): nothing was sent`;
}

/**
 * A shard that got none of the input's records has finished its part: an Indexed Job or `parallel`
 * must not retry it, so it is exit 0 with this line (an info line: quiet under -q).
 */
export function emptyShardMessage(config: CliConfig, others: number): string | undefined {
  if (!config.shard || others === 0) return undefined;
  const source = config.input.kind === 'stdin' ? 'stdin' : config.input.path;
  const records = `${others} ${others === 1 ? 'record' : 'records'}`;
  return `shard ${config.shard.index}/${config.shard.count} has none of the ${records} of ${source} (${others === 1 ? 'it hashes to another shard' : 'they hash to other shards'}): nothing to send`;
}
