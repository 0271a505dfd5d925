import type { Manifest } from '../batch/manifest.js';
import { readRunMeta } from '../output/index.js';

/** Whether OUT was written by a --mock run (its OUT.meta.json says so; a FIFO output has none). */
export function writtenByMock(output: string): boolean {
  return readRunMeta(output)?.['baseURL'] === 'mock';
}

/**
 * Whether the batches `manifest` (OUT's) lists are --mock's, gone with the process that made them:
 * as the manifest says (Manifest.mock), or, in one an older llm-batch wrote, as OUT's meta says.
 */
export function batchesOfMock(output: string, manifest: Manifest): boolean {
  return manifest.mock ?? writtenByMock(output);
}
