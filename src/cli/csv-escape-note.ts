import { writesCsv, type CliConfig } from './config.js';

/**
 * The line a run writes when --csv-escape-formulas has no CSV to escape: its rows go out as JSONL or
 * text, cells as answered. Said, not refused, as `--compact` says what it ignores (a wrapper that
 * always adds the flag still runs); but said, since a JSONL written with it and turned into CSV
 * later (`merge`, `--compact`) has its cells unescaped. Undefined when there is nothing to say.
 */
export function csvEscapeIgnored(config: CliConfig): string | undefined {
  if (!config.data.csvEscapeFormulas || config.compact || config.dryRun) return undefined;
  const { output } = config;
  if (writesCsv(config)) return undefined;
  const writes = output.kind === 'terminal' ? 'to the terminal' : output.format === 'jsonl' ? 'JSONL' : 'text';
  return `llm-batch: --csv-escape-formulas escapes the cells of a CSV output; this run writes ${writes}, cells as answered\n`;
}
