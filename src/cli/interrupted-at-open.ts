import type { BatchStats } from '../engine/stats.js';
import { ExitCode } from '../errors.js';
import type { Reporter } from '../ui/reporter.js';
import { buildSummary } from '../ui/summary.js';
import { inputFileOf, type CliConfig } from './config.js';
import { resumeHint } from './resume-hint.js';
import { writeSummaryJson } from './write-summary-json.js';

/**
 * The end of a run (live or --batch-api) stopped (Ctrl-C, SIGTERM, a terminal's hangup) while its
 * output was being opened: locked, and with --resume read back, which takes seconds for a large
 * file. Nothing was sent; it ends as any interrupted run does (the `interrupted:` summary, the
 * command that finishes the rest, --summary-json, exit 130), and the caller releases the lock on the
 * way out: a pod that replaces this one must not find it held.
 */
export function interruptedAtOpen(config: CliConfig, stats: BatchStats, reporter: Reporter): number {
  // An --overwrite run has not replaced the old file: the same command again, not a resume of the old rows.
  const hint = resumeHint(config, config.overwrite && !config.resume);
  const summary = buildSummary(stats, performance.now(), 'interrupted', hint, config.model);
  summary.input = inputFileOf(config);
  reporter.finish(summary);
  if (!config.summaryJson) return ExitCode.interrupted;
  return writeSummaryJson(config.summaryJson, summary, ExitCode.interrupted, null, (line) => reporter.error(line));
}
