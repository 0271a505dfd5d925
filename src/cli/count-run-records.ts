import { cellsOf, isMatrix } from '../input/expand-matrix.js';
import { readRecords } from '../input/index.js';
import { shardRecords } from '../input/shard.js';
import type { InputFormat } from '../input/input-options.js';
import { countRecords } from '../ui/count-records.js';
import type { CliConfig } from './config.js';
import { limitRecords } from './limit-records.js';
import { inputOptionsFor, openFileInput } from './open-input.js';

/**
 * The rows this run will write for a regular input file, for the progress total, its ETA and a
 * stop's "N not run": the records after --shard, capped by --limit, times the models and samples,
 * as run-command.ts takes them (rows an earlier run answered count as done, so they stay in).
 * A plain run counts lines (or CSV records, or a `.json` array's elements) only, in the format the
 * run reads (a file with no known extension as its first line shows: see sniffFormat); a shard or a
 * matrix needs each record's id and model, so the file is read through the run's own readers.
 * Rejects when the file cannot be read or `signal` aborts: callers then show no total.
 */
export async function countRunRecords(config: CliConfig, file: string, signal: AbortSignal, onProgress?: (counted: number) => void): Promise<number> {
  const limit = config.data.limit;
  const capped = (n: number) => (limit === undefined ? n : Math.min(n, Math.max(0, limit)));
  if (!config.shard && !isMatrix({ models: config.models, repeat: config.repeat })) {
    const format = config.inputFormat === 'auto' ? await sniffedFormat(config, file) : config.inputFormat;
    return capped(await countRecords(file, format, signal, (n) => onProgress?.(capped(n)), config.data.encoding, config.csvDelimiter));
  }
  const input = await openFileInput(config, file);
  try {
    let records = readRecords(input.stream, inputOptionsFor(config, input));
    if (config.shard) records = shardRecords(records, config.shard);
    if (limit !== undefined) records = limitRecords(records, limit);
    const matrix = { models: config.models, repeat: config.repeat };
    let n = 0;
    let told = 0;
    for await (const record of records) {
      signal.throwIfAborted();
      n += cellsOf(record, matrix);
      if (n - told >= 4096) onProgress?.((told = n));
    }
    return n;
  } finally {
    await input.close();
  }
}

/** The format the run reads a file of no known extension in (a `.json` array, JSONL or text), as its first line shows. */
async function sniffedFormat(config: CliConfig, file: string): Promise<InputFormat> {
  const input = await openFileInput({ ...config, inputFormat: 'auto' }, file);
  await input.close();
  return input.format;
}
