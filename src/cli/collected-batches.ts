import fs from 'node:fs';
import type { Chunk } from '../batch/manifest.js';
import { readBackFormat, readResults } from '../output/index.js';
import { count } from '../ui/number-format.js';

/**
 * The batch ids a --batch-api output's rows carry, in the order first seen: once every batch is
 * collected the manifest forgets them, and the rows are where they stay. Undefined when the output
 * is no regular file (a FIFO) or cannot be read back.
 */
export async function collectedBatchIds(output: string): Promise<string[] | undefined> {
  if (!fs.statSync(output, { throwIfNoEntry: false })?.isFile()) return undefined;
  const ids = new Set<string>();
  try {
    for await (const row of readResults(output, readBackFormat(output))) if (row.batch_id) ids.add(row.batch_id);
  } catch {
    return undefined;
  }
  return [...ids];
}

/** `status` of an output with nothing pending: one line saying so, with the batches its rows came from. */
export function nothingPendingLine(output: string, ids: readonly string[] | undefined): string {
  const shown = ids?.slice(0, 10).join(', ');
  const more = ids && ids.length > 10 ? `, … (${ids.length} in all)` : '';
  const from =
    ids === undefined
      ? ''
      : ids.length === 0
        ? '; its rows name no batch'
        : `; its rows came from ${ids.length === 1 ? 'batch' : `${ids.length} batches:`} ${shown}${more}`;
  return `${output}: nothing pending, every batch is collected${from}`;
}

/**
 * `status` of an output with nothing on the server but batches it refused: their requests have no
 * row yet, which "every batch is collected" hid from a script reading `pending`.
 */
export function refusedLeftLine(output: string, refused: readonly Pick<Chunk, 'lines'>[]): string {
  const requests = refused.reduce((sum, chunk) => sum + chunk.lines, 0);
  const batches = refused.length === 1 ? 'a batch' : `${refused.length} batches`;
  return `${output}: nothing pending on the server, but ${batches} the server refused left ${count(requests)} ${requests === 1 ? 'request' : 'requests'} without a row: run the command again with --resume once what its line says is fixed (llm-batch cancel ${output} writes them as aborted rows instead)`;
}
