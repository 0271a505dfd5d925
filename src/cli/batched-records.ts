import { readIndex } from '../batch/chunk-files.js';
import { customIdOf, recordAnswer } from '../batch/custom-id.js';
import { IdSet } from '../batch/id-set.js';
import { chunkDir, type Manifest } from '../batch/manifest.js';
import type { PromptRecord } from '../types.js';

/**
 * The records an output's batches hold and it has no row for yet (every chunk not collected: on the
 * server, built only, or refused): the run that started the output planned them, so a `--batch-api
 * --resume` from stdin that starts with one of them is that run's input (see skipAnswered). Read now,
 * from the chunks' index files, which a chunk's collection removes. Undefined when no such chunk has a line.
 */
export function batchedRecords(output: string, manifest: Manifest): ((record: PromptRecord) => boolean) | undefined {
  const chunks = manifest.chunks.filter((c) => !c.collected && c.lines > 0);
  if (chunks.length === 0) return undefined;
  const ids = new IdSet();
  const dir = chunkDir(output);
  for (const chunk of chunks) {
    try {
      for (const id of readIndex(dir, chunk).keys()) ids.add(id);
    } catch (err) {
      // A chunk whose files a kill never wrote: it holds no line to recognise.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return (record) => ids.has(customIdOf(recordAnswer(record)));
}
