import type { PriceLookup } from '../budget/prices.js';
import { ExitCode } from '../errors.js';
import type { Reporter } from '../ui/reporter.js';
import type { RunSummary } from '../ui/summary.js';
import type { CliConfig } from './config.js';

/**
 * `--report FILE` on a `--batch-api` run: written when the run ends (every batch collected), when it
 * leaves batches pending (`--no-wait`, a stop), saying so, and with the run's prices. As on a live run,
 * a report that cannot be written turns an ok exit into 2: every row is there, the report is not.
 */
export async function writeBatchReport(
  config: CliConfig,
  prices: PriceLookup | undefined,
  run: { summary: RunSummary; pendingBatches: number; code: number; empty: boolean; reporter: Reporter },
): Promise<number> {
  if (!config.report || run.empty) return run.code;
  const { RunReport } = await import('./run-report.js');
  const report = new RunReport({ ...config, report: config.report }, prices);
  const made = await report.finish(run.summary, false, { events: false, pendingBatches: run.pendingBatches });
  if (made.ok) {
    run.reporter.info(made.message);
    return run.code;
  }
  run.reporter.error(made.message);
  return run.code === ExitCode.ok || run.code === ExitCode.someFailed ? ExitCode.usage : run.code;
}
