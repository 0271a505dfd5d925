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
  /** Which file it is on disk, to find it again once `handle` is closed ({@link reopenSnapshot}). */
  readonly dev: number;
  readonly ino: number;
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
    const { size, dev, ino } = await handle.stat();
    return { handle, bytes: size, dev, ino };
  } catch (err) {
    await handle.close();
    throw new RunError(`Cannot read results file ${path}: ${errorMessage(err)}`, 'resume');
  }
}

/**
 * `snapshot`, whose handle was closed (a merge of more files than it keeps open), open again: the
 * same file up to the same size, or a RunError when another file was renamed over the path since
 * (a resume's compaction), whose rows are not the ones the first pass counted.
 */
export async function reopenSnapshot(path: string, snapshot: FileSnapshot): Promise<FileSnapshot> {
  const again = await openSnapshot(path);
  if (again.dev === snapshot.dev && again.ino === snapshot.ino) return { ...again, bytes: snapshot.bytes };
  await again.handle.close();
  throw new RunError(`${path} was replaced while it was being merged (a run compacting it?): run the merge again`, 'resume');
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
