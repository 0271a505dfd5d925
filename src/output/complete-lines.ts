import { createReadStream } from 'node:fs';
import { snapshotChunks, type FileSnapshot } from './file-snapshot.js';
import { isJsonText } from './last-row.js';

/** Filled in by {@link readCompleteChunks} once the file has been read to the end. */
export interface TailInfo {
  /** Bytes after the last '\n' that are not a whole row: a torn last line from an interrupted write. Never handed out. */
  tornBytes: number;
}

const NEWLINE = Buffer.from('\n');
const CHUNK = 1 << 16;

/**
 * Streams a file's bytes up to and including its last '\n'. Everything we write ends in '\n', so
 * bytes after the last one are a write cut short by a crash, held back and only counted in `tail`,
 * which keeps readers from ever mistaking a torn row for a real one; unless they are a whole JSONL
 * row that only lacks its '\n' (see unterminatedJsonlRowEnd), which is handed out with a '\n' added.
 * A CSV record is never judged so: one cut inside its last unquoted cell parses as whole.
 * With a `snapshot` of `path`, its bytes are read, not whatever the path names now.
 */
export async function* readCompleteChunks(
  path: string,
  tail: TailInfo,
  format: 'jsonl' | 'csv',
  snapshot?: FileSnapshot,
  /** Told the size of each block read (for a progress line). */
  onRead?: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  // The bytes since the last '\n', as read: joined once a '\n' ends them. Joined at every block
  // instead, a 40 MB row was copied ~600 times over (12.9 s to report a file of that one row).
  let held: Buffer[] = [];
  const chunks = snapshot ? snapshotChunks(snapshot, CHUNK) : (createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>);
  for await (const chunk of chunks) {
    onRead?.(chunk.length);
    const last = chunk.lastIndexOf(0x0a);
    if (last === -1) {
      if (chunk.length > 0) held.push(chunk);
      continue;
    }
    const out = held.length === 0 ? chunk.subarray(0, last + 1) : Buffer.concat([...held, chunk.subarray(0, last + 1)]);
    held = last + 1 < chunk.length ? [chunk.subarray(last + 1)] : [];
    yield out;
  }
  // Judged only when the file does not end in '\n' (rare).
  const rest = Buffer.concat(held);
  if (rest.length > 0 && format === 'jsonl' && isJsonText(rest)) {
    yield Buffer.concat([rest, NEWLINE]);
    tail.tornBytes = 0;
    return;
  }
  tail.tornBytes = rest.length;
}

/** Splits complete chunks into lines (without the '\n'), numbering them from 1. */
export async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<{ text: string; line: number }> {
  let line = 0;
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      line++;
      yield { text: chunk.toString('utf8', start, nl), line };
      start = nl + 1;
    }
  }
}
