import { rmSync } from 'node:fs';
import { chunkDir, manifestPath, openChunks, readManifest, uploadedFiles, writeManifest } from './manifest.js';

/** Chunks built and never submitted that a live run took over, and their requests. */
export interface DroppedChunks {
  batches: number;
  requests: number;
  /** Request files uploaded for them (a stop between the upload and the batch's creation): still on the server. */
  files: string[];
  /** Batches a --mock run submitted to its own mock, which ended with it (`mockGone`). */
  gone: boolean;
}

/**
 * A live run over an output whose --batch-api run built batches and never submitted them (an upload
 * that failed) sends their prompts itself: no later `--batch-api --resume` may submit them again.
 * `restart` (--overwrite, or a new output): the batch state goes, as with --batch-api --overwrite
 * (its chunks may hold an old input's prompts). A --resume closes those chunks and keeps the rest of
 * the manifest (the spend --max-cost counts). Nothing is done while a batch of the output is on the
 * server, or may be: such a --resume or --overwrite was refused already (refuseLiveOverPendingBatches).
 *
 * `mockRunKey`: the run key of the state as it was seen before the run took the output, when its
 * batches were a --mock run's, which ended with its process: if the state is still that one, the
 * submitted ones go too. Kept, they outlived the meta this run writes, and every later --resume,
 * `cancel` and `merge` took them for batches on the run's real server. State another run replaced
 * meanwhile (its batches may be real) is left as the first case says. `manifest`: the state as the
 * caller just read it.
 */
export function dropUnsubmitted(output: string, restart: boolean, mockRunKey?: string, manifest = readManifest(output)): DroppedChunks | undefined {
  if (!manifest) return undefined;
  const mockGone = mockRunKey !== undefined && manifest.runKey === mockRunKey;
  const open = openChunks(manifest);
  if (open.submitted.length > 0 && !mockGone) return undefined;
  const closing = mockGone ? [...open.submitted, ...open.unsubmitted] : open.unsubmitted;
  const dropped = {
    batches: closing.length,
    requests: closing.reduce((n, c) => n + c.lines, 0),
    // A mock's files were on the mock.
    files: mockGone ? [] : uploadedFiles(open.unsubmitted),
    gone: mockGone && open.submitted.length > 0,
  };
  if (restart) {
    rmSync(manifestPath(output), { force: true });
  } else {
    if (dropped.batches === 0) return undefined;
    for (const chunk of closing) {
      chunk.collected = true;
      chunk.note = 'dropped: taken over by a live --resume';
    }
    writeManifest(output, manifest);
  }
  // No chunk is open any more: none needs its request file.
  rmSync(chunkDir(output), { recursive: true, force: true });
  return dropped.batches > 0 ? dropped : undefined;
}
