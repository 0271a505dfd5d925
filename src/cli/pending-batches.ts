import { manifestPath, openChunks, readManifest, type Manifest } from '../batch/manifest.js';
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
