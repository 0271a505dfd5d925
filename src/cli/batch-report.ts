import type { PriceLookup } from '../budget/prices.js';
import { ExitCode } from '../errors.js';
import type { UncollectedBatches } from '../report/report-data.js';
import type { Reporter } from '../ui/reporter.js';
import type { RunSummary } from '../ui/summary.js';
import type { CliConfig } from './config.js';
import { isStreamTarget } from './stream-target.js';
import { reportFailureCode, RunReport } from './run-report.js';

/**
 * The `--report` of a `--batch-api` run into a stream (a FIFO), opened before its first row: such an
 * output cannot be read back, so its rows are copied as they are written. A file output's report is
 * made from the file at the end (see writeBatchReport), its run's rows all before its start.
 */
export async function openBatchReport(config: CliConfig, prices: PriceLookup | undefined): Promise<RunReport | undefined> {
  if (!config.report || config.output.kind !== 'file' || !isStreamTarget(config.output.path)) return undefined;
  return new RunReport({ ...config, report: config.report }, prices);
}

/**
 * `--report FILE` on a `--batch-api` run: written when the run ends (every batch collected), when it
 * leaves batches pending (`--no-wait`, a stop), saying so, and with the run's prices. As on a live run,
 * a report that cannot be written turns an ok exit into 2: every row is there, the report is not (130
 * when a signal ended it).
 * `quiet` (the output's reader left): written, but only a failure is said.
 */
export async function writeBatchReport(
  config: CliConfig,
  prices: PriceLookup | undefined,
  /** From openBatchReport, when it made one. */
  opened: RunReport | undefined,
  /** `signal`: a stop that ends the report unwritten, exit 130 (see StopSignals.closing). */
  run: {
    summary: RunSummary;
    batches: UncollectedBatches;
    code: number;
    empty: boolean;
    reporter: Reporter;
    quiet?: boolean;
    signal?: AbortSignal;
    /** An --overwrite left the old file: its rows are not this run's (see RunReport.finish). */
    outputKept?: boolean;
  },
): Promise<{ code: number; error?: string }> {
  if (!config.report || run.empty) return { code: run.code };
  const report = opened ?? new RunReport({ ...config, report: config.report }, prices);
  const made = await report.finish(run.summary, run.outputKept ?? false, { events: false, batches: run.batches, signal: run.signal });
  if (made.ok) {
    if (!run.quiet) run.reporter.info(made.message);
    return { code: run.code };
  }
  if (!made.closed) run.reporter.error(made.message);
  // `error`: the line, when it is what made the exit code (for --summary-json).
  const code = reportFailureCode(made);
  return run.code === ExitCode.ok || run.code === ExitCode.someFailed ? { code, error: made.message } : { code: run.code };
}
