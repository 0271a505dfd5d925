import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { RawFlags } from './program.js';

/**
 * What `--compact` uses: where and how to write the copy, and how much to say. `--summary-json` and
 * `--report` are refused by resolveCliConfig in words of their own, `--dry-run` by refuseDryRunWithCompact.
 */
const COMPACT_TAKES = new Set(['compact', 'output', 'format', 'overwrite', 'quiet', 'summaryJson', 'report', 'dryRun']);

/**
 * `--compact --dry-run` is refused, not ignored: it reads as "show what compacting would do", and
 * the copy was written all the same (over nothing, but a file a script then took for a preview).
 */
export function refuseDryRunWithCompact(flags: Pick<RawFlags, 'compact' | 'dryRun'>): void {
  if (flags.compact && flags.dryRun)
    throw new UsageError('--dry-run goes with a run, not --compact, which sends nothing and writes its copy at once: leave out --dry-run');
}

/**
 * The line `--compact` writes for a run's flags given with it, which it ignores: `--compact -m
 * gpt-4o` reads as a filter by model and `--compact --resume` as an append, and neither is what it
 * does. Said, not refused: a wrapper or an alias that always adds `--base-url` or `-c` still compacts.
 * Undefined when there are none.
 */
export function ignoredWithCompact(program: Command): string | undefined {
  if (program.opts()['compact'] !== true) return undefined;
  const ignored = new Set<string>();
  for (const option of program.options) {
    const key = option.attributeName();
    if (COMPACT_TAKES.has(key) || program.getOptionValueSource(key) !== 'cli') continue;
    // --stream and --no-stream set one value: name both rather than guess which was typed.
    ignored.add(
      program.options
        .filter((o) => o.attributeName() === key)
        .map((o) => o.long ?? o.short)
        .join('/'),
    );
  }
  if (ignored.size === 0) return undefined;
  return `llm-batch: --compact copies a results file and sends nothing: it ignores ${[...ignored].join(', ')} (a run's flags)\n`;
}
