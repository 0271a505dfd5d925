import { readIndex } from '../batch/chunk-files.js';
import { customIdOf, recordAnswer } from '../batch/custom-id.js';
import { chunkDir, isOpen, readManifest, type ChunkStatus } from '../batch/manifest.js';
import { entryAnswer } from '../batch/plan-chunks.js';
import type { PromptRecord } from '../types.js';
import type { CliConfig } from './config.js';

/** A batch the server has and may still answer in full: its lines are not sent again. */
const SUBMITTED: ReadonlySet<ChunkStatus> = new Set(['validating', 'in_progress', 'finalizing', 'completed']);

/**
 * With --batch-api --resume: whether a request waits in a batch this output submitted and has not
 * collected yet, as its manifest last saw it. The resume collects those answers and sends them no
 * more, so a dry run leaves them out as it leaves out the output's rows; what an expired or
 * cancelled batch leaves unanswered is sent again, so such batches are not counted. Reads only;
 * undefined when no batch is pending.
 */
export function pendingCheck(config: CliConfig): { pending: (record: PromptRecord) => boolean; batches: number } | undefined {
  if (!config.batchApi || !config.resume || config.output.kind !== 'file') return undefined;
  const output = config.output.path;
  const chunks = (readManifest(output)?.chunks ?? []).filter((c) => isOpen(c) && c.batchId !== undefined && SUBMITTED.has(c.status));
  if (chunks.length === 0) return undefined;
  const dir = chunkDir(output);
  const waiting = new Set<string>();
  for (const chunk of chunks) {
    for (const entry of readIndex(dir, chunk).values()) waiting.add(customIdOf(entryAnswer(entry)));
  }
  return { pending: (record) => waiting.has(customIdOf(recordAnswer(record))), batches: chunks.length };
}
