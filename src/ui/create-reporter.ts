import type { CliConfig } from '../cli/config.js';
import type { CliIo } from '../cli/io.js';
import type { RowWriter } from '../output/index.js';
import type { BatchStats } from '../stats.js';
import { AnswerPrinter } from './answer-printer.js';
import { createPlainReporter, type Reporter } from './reporter.js';

export interface CliReporter extends Reporter {
  /** When answers go to the terminal: the row writer that prints them. */
  answerWriter: RowWriter | undefined;
}

export function useColor(io: CliIo, stream: { isTTY?: boolean }): boolean {
  return stream.isTTY === true && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}

/** Picks the display for this run: terminal or plain, with or without answers on screen. */
export async function createReporter(config: CliConfig, io: CliIo, _stats: BatchStats): Promise<CliReporter> {
  const base = createPlainReporter({ stderr: io.stderr, quiet: config.quiet });
  let printer: AnswerPrinter | undefined;
  if (config.output.kind === 'terminal') {
    printer = new AnswerPrinter({ write: (t) => io.stdout.write(t), color: useColor(io, io.stdout), columns: io.stdout.columns });
  }
  return {
    ...base,
    event(event) {
      printer?.event(event);
      base.event(event);
    },
    answerWriter: printer,
  };
}
