import type { BatchEvent } from '../events.js';
import type { ResultRow } from '../types.js';
import { formatSummaryLine, type RunSummary, type SummaryStyle } from './summary.js';

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
  /** Writes one message (it ends with a newline); default: straight to `stderr`. */
  write?: (text: string) => void;
  /** Colours for the summary line (a terminal without NO_COLOR); none by default. */
  style?: SummaryStyle;
}

/** Plain reporter: lines only, no escape codes unless `style` asks for colour (pipes, cron, --quiet). */
export function createPlainReporter(options: ReporterOptions): Reporter {
  const out = options.write ?? ((text: string) => options.stderr.write(text));
  const write = (line: string) => out(`llm-batch: ${line}\n`);
  return {
    error: (line) => write(line),
    info: (line) => {
      if (!options.quiet) write(line);
    },
    event: () => {},
    row: () => {},
    finish(summary) {
      if (!options.quiet) write(formatSummaryLine(summary, options.style));
      if (summary.resumeCommand) write(`to finish the rest, run: ${summary.resumeCommand}`);
    },
    close: () => {},
  };
}
