import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { manifestPath } from '../output/side-paths.js';

const FIFO_HINT = 'to pipe the rows on, make a FIFO of your own (mkfifo rows.jsonl) and give -o rows.jsonl';

/**
 * --batch-api keeps its state beside -o (OUT.batch.json, OUT.batch.d/), so -o must be a file or a
 * FIFO of the user's own in a directory of theirs. A path in /dev or /proc (`-o /dev/stdout`,
 * `-o /dev/null`, the /dev/fd/63 of `-o >(gzip > x)`) would put that state there: files in /dev as
 * root, a crash as a user, and on /dev/fd a mkdir that spun forever. Refused before anything is read.
 */
export function checkBatchStateTarget(out: string): void {
  const state = manifestPath(out);
  const pseudo = /^\/(dev|proc)\//.exec(path.resolve(out));
  if (pseudo) {
    throw new UsageError(
      `--batch-api -o ${out}: the batches' state is kept beside the output, in ${state}, and ${out} is a stream in /${pseudo[1]}, not a file; ${FIFO_HINT}`,
    );
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(out, { throwIfNoEntry: false });
  } catch {
    return; // unreadable: opening the output says why
  }
  if (stat && !stat.isFile() && !stat.isFIFO() && !stat.isDirectory()) {
    throw new UsageError(
      `--batch-api -o ${out}: the batches' state is kept beside the output, in ${state}, and ${out} is a device or socket, not a file; ${FIFO_HINT}`,
    );
  }
}
