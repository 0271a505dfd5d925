import fs from 'node:fs';
import { loadResumeState, readRunMeta } from '../output/index.js';
import { retryFailedSince, runModelOf, skipOf } from './resume-skip.js';
import type { PromptRecord } from '../types.js';
import type { CliConfig } from './config.js';

/**
 * With --resume: whether the output already answers a request, as the run would skip it (an answer,
 * or a permanent error without --retry-failed). A dry run leaves those out, so its count and cost
 * are what the resume sends and spends: the figure to choose a new --max-cost by after a budget
 * stop. Reads only; undefined when there is nothing to resume from.
 */
export async function answeredCheck(config: CliConfig): Promise<((record: PromptRecord) => boolean) | undefined> {
  if (!config.resume || config.output.kind !== 'file' || config.output.format === 'text') return undefined;
  const file = config.output.path;
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return undefined;
  let meta: Record<string, unknown> | undefined;
  try {
    meta = readRunMeta(file) ?? undefined;
  } catch {
    // Damaged metadata: rows of a plain run are keyed by this invocation's model, as a resume would.
  }
  const runModel = runModelOf(meta, config);
  const since = retryFailedSince(config, meta);
  const state = await loadResumeState(file, config.output.format, { escapedFormulas: config.data.csvEscapeFormulas }, runModel, undefined, since);
  const skip = skipOf(state, runModel, config.retryFailed);
  return (record) => skip(record) !== undefined;
}
