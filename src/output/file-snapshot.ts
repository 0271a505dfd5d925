import { open, type FileHandle } from 'node:fs/promises';
import { RunError } from '../errors.js';
import { errorMessage } from '../util/error-message.js';

/**
 * A results file as it was when opened: an open handle and the size it had then. Read through it
 * (see readResultsWithLines), a new file renamed over the path since (a resume's compaction) or rows
 * appended since (a run in progress) change nothing, so two passes over it read the same rows.
 */
export interface FileSnapshot {
  readonly handle: FileHandle;
  readonly bytes: number;
}

/** Opens `path` for {@link FileSnapshot} reads; the caller closes `handle`. */
export async function openSnapshot(path: string): Promise<FileSnapshot> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new RunError(`Cannot read results file ${path}: ${errorMessage(err)}`, 'resume');
  }
  try {
    return { handle, bytes: (await handle.stat()).size };
  } catch (err) {
    await handle.close();
    throw new RunError(`Cannot read results file ${path}: ${errorMessage(err)}`, 'resume');
  }
}

/**
 * The snapshot's bytes, `chunk` at a time, by positioned reads: the handle stays open for the next
 * pass (a read stream given it would close it when stopped early).
 */
export async function* snapshotChunks(snapshot: FileSnapshot, chunk = 1 << 16): AsyncGenerator<Buffer> {
  for (let position = 0; position < snapshot.bytes; ) {
    const buffer = Buffer.allocUnsafe(Math.min(chunk, snapshot.bytes - position));
    const { bytesRead } = await snapshot.handle.read(buffer, 0, buffer.length, position);
    // Cut shorter since it was opened (not what a run does: it renames a new file over it).
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}
