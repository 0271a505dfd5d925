import type { BatchEvent } from '../events.js';
import type { ResultRow } from '../types.js';
import { formatSummaryLine, type RunSummary } from './summary.js';

/** Everything the run tells people, on stderr. Data never goes through here. */
export interface Reporter {
  /** A message that matters even with --quiet (a bad input line, why the run stopped). */
  error(line: string): void;
  /** A notice that --quiet silences. */
  info(line: string): void;
  event(event: BatchEvent): void;
  row(row: ResultRow): void;
  finish(summary: RunSummary): void;
  close(): void;
}

export interface ReporterOptions {
  stderr: NodeJS.WritableStream;
  quiet: boolean;
}

/** Plain reporter: lines only, no escape codes (pipes, cron, --quiet). */
export function createPlainReporter(options: ReporterOptions): Reporter {
  const write = (line: string) => options.stderr.write(`${line}\n`);
  return {
    error: (line) => write(`llm-batch: ${line}`),
    info: (line) => {
      if (!options.quiet) write(`llm-batch: ${line}`);
    },
    event: () => {},
    row: () => {},
    finish(summary) {
      if (!options.quiet) write(`llm-batch: ${formatSummaryLine(summary)}`);
      if (summary.resumeCommand) write(`llm-batch: to finish the rest, run: ${summary.resumeCommand}`);
    },
    close: () => {},
  };
}
