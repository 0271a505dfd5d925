import { manifestPath, readManifest } from '../batch/manifest.js';
import { readRunMeta } from '../output/index.js';
import { batchList, uncollectedBatches } from './pending-batches.js';

/**
 * The batches of `--mock --batch-api` are held by the process that made them (the provider is
 * in-process): once it ends, no --resume, `status` or `cancel` can reach them, and a command that
 * says so would fail. This is said instead, with the one way on: start again with --overwrite.
 */
export const MOCK_BATCHES_GONE = '--mock batches live only in the process that made them';

/** Whether OUT was written by a --mock run (its OUT.meta.json says so; a FIFO output has none). */
export function writtenByMock(output: string): boolean {
  return readRunMeta(output)?.['baseURL'] === 'mock';
}

/**
 * The batches of OUT that a --mock process took with it when it ended. `mock`: whether OUT's run was
 * a --mock one; an earlier run's OUT.meta.json says so, a run itself knows (beside a FIFO there is
 * no meta file, but there is a manifest).
 */
export function lostMockBatches(output: string, mock: boolean = writtenByMock(output)): string[] {
  const manifest = mock ? readManifest(output) : undefined;
  return manifest ? uncollectedBatches(manifest) : [];
}

/** Why an earlier --mock run's uncollected batches cannot be continued, and what can be done. */
export function lostMockBatchesMessage(output: string, ids: readonly string[]): string {
  const n = ids.length === 1 ? 'batch' : 'batches';
  return `${manifestPath(output)} lists ${ids.length} ${n} of an earlier --mock run (${batchList(ids)}) that no one can collect: ${MOCK_BATCHES_GONE}; pass --overwrite to start again`;
}
