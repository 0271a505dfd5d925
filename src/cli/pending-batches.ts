import { manifestPath, openChunks, readManifest, type Manifest } from '../batch/manifest.js';
import type { UncollectedBatches } from '../report/report-data.js';
import { RunError } from '../errors.js';
import { readRunMeta } from '../output/run-meta.js';
import type { CliConfig } from './config.js';
import { shellQuote } from './shell-quote.js';

/**
 * Batches of an earlier --batch-api run that are on the server, or may be (a create the killed run
 * never heard back from), and not collected: their answers are paid for and on the way.
 */
export function uncollectedBatches(manifest: Manifest): string[] {
  return openChunks(manifest).submitted.map((c) => c.batchId ?? `batch ${c.n} (being created)`);
}

/**
 * An output's batches not collected, by what can be done about them, from their counts: `onServer`
 * (created, or maybe: see `submitted`) and `unsubmitted` (built only). `mock`: the output's run was a
 * --mock one, whose batches ended with its process: with one of them gone a --resume is refused
 * (see lostMockBatchesMessage), and every open batch waits for --overwrite.
 */
export function uncollectedCounts(onServer: number, unsubmitted: number, mock: boolean): UncollectedBatches {
  if (mock && onServer > 0) return { pending: 0, unsubmitted: 0, gone: onServer + unsubmitted };
  return { pending: onServer, unsubmitted, gone: 0 };
}

/** The same from a manifest. */
export function uncollectedOf(manifest: Manifest, mock: boolean): UncollectedBatches {
  const open = openChunks(manifest);
  return uncollectedCounts(open.submitted.length, open.unsubmitted.length, mock);
}

/** `batch_a, batch_b, batch_c, …` */
export const batchList = (ids: readonly string[]): string => `${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''}`;

/**
 * A live `--resume` (or `--overwrite`) of an output whose batches are still on the server would send
 * their prompts again at the full price while the half-price batches run on, and leave them
 * uncollected. Refused before anything is sent (exit 2), naming the batches and the ways on.
 */
export function refuseLiveOverPendingBatches(config: CliConfig): void {
  if (config.output.kind !== 'file' || (!config.resume && !config.overwrite)) return;
  const output = config.output.path;
  const manifest = readManifest(output);
  const ids = manifest ? uncollectedBatches(manifest) : [];
  // An earlier --mock run's batches are on no server: nothing would be paid twice.
  if (ids.length === 0 || readRunMeta(output)?.['baseURL'] === 'mock') return;
  const n = ids.length === 1 ? 'batch' : 'batches';
  throw new RunError(
    `${manifestPath(output)} lists ${ids.length} ${n} of an earlier --batch-api run not collected yet (${batchList(ids)}): ` +
      `a live ${config.resume ? '--resume' : '--overwrite'} would send ${ids.length === 1 ? 'its' : 'their'} prompts again and pay twice; ` +
      `collect ${ids.length === 1 ? 'it' : 'them'} with --batch-api --resume, or cancel ${ids.length === 1 ? 'it' : 'them'} with \`llm-batch cancel ${shellQuote(output)}\` first`,
    'output',
  );
}
