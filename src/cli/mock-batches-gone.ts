import { manifestPath, readManifest, readManifestAsWritten } from '../batch/manifest.js';
import { batchesOfMock } from './mock-run.js';
import { batchList, uncollectedBatches } from './pending-batches.js';

/**
 * The batches of `--mock --batch-api` are held by the process that made them (the provider is
 * in-process): once it ends, no --resume, `status` or `cancel` can reach them, and a command that
 * says so would fail. This is said instead, with the one way on: start again with --overwrite.
 */
export const MOCK_BATCHES_GONE = '--mock batches live only in the process that made them';

/**
 * The batches of OUT that a --mock process took with it when it ended. `mock`: whether they are
 * --mock's, when the caller knows (a --mock run itself); else as {@link batchesOfMock} says.
 */
export function lostMockBatches(output: string, mock?: true): string[] {
  // A --mock run's own: its plan, also while it is kept beside the results of an --overwrite it has
  // not replaced (Manifest.overwriting).
  const written = mock ? readManifestAsWritten(output) : readManifest(output);
  const manifest = mock ? (written?.overwriting ?? written) : written;
  return manifest && (mock ?? batchesOfMock(output, manifest)) ? uncollectedBatches(manifest) : [];
}

/** Why an earlier --mock run's uncollected batches cannot be continued, and what can be done. */
export function lostMockBatchesMessage(output: string, ids: readonly string[]): string {
  const n = ids.length === 1 ? 'batch' : 'batches';
  return `${manifestPath(output)} lists ${ids.length} ${n} of an earlier --mock run (${batchList(ids)}) that no one can collect: ${MOCK_BATCHES_GONE}; pass --overwrite to start again`;
}
