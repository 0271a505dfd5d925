import type { ReporterOptions } from '../ui/reporter.js';
import type { CliIo } from './io.js';

/**
 * Stderr's width on a terminal, and the columns a text takes there (loaded only then: its Unicode
 * tables cost ~20 ms), for a reporter whose lines break between parts rather than mid-word.
 */
export async function terminalWidth(io: Pick<CliIo, 'stderr'>): Promise<Required<Pick<ReporterOptions, 'columns' | 'textWidth'>>> {
  return { columns: () => io.stderr.columns || 80, textWidth: (await import('../ui/terminal-text.js')).textWidth };
}
