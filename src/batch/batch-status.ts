import { isOpen, type Chunk, type Manifest } from './manifest.js';

export interface ChunkStatusLine {
  chunk: number;
  batchId: string | null;
  model: string;
  status: string;
  requests: number;
  completed: number | null;
  failed: number | null;
  /** Seconds since the batch was created, or null before it was. */
  ageSeconds: number | null;
  /** What the next `--resume` does with this chunk. */
  next: string;
}

/** What `llm-batch cancel` adds to such a note: its requests got cancelled rows. */
export const CANCELLED_NOTE = '; cancelled (llm-batch cancel)';

/** The notes of a chunk whose lines have no row (see BatchJob's strandedWhy). */
const STRANDED = /^(refused: |token_limit_exceeded on its own)/;

function nextStep(chunk: Chunk): string {
  if (chunk.collected) {
    if (chunk.remainderChunk !== undefined) return `done; ${chunk.remainder} unfinished requests went on as batch ${chunk.remainderChunk}`;
    // A refused batch (or one over the token limit alone) is closed as a --resume plans its requests
    // again: said so, not as a refusal still waiting for that --resume.
    if (chunk.note !== undefined && STRANDED.test(chunk.note) && !chunk.note.endsWith(CANCELLED_NOTE)) return `${chunk.note}; its requests were planned again`;
    return chunk.note ?? 'done';
  }
  if (chunk.note) return chunk.note;
  switch (chunk.status) {
    case 'built':
      return 'upload and submit';
    case 'uploaded':
      return chunk.createKey ? 'look it up by metadata, submit if absent' : 'submit';
    case 'token_limit':
      return 'resubmit once an earlier batch finishes (enqueued-token limit)';
    case 'completed':
    case 'expired':
    case 'cancelled':
      return 'collect';
    case 'failed':
      return 'read why it failed';
    default:
      return 'wait, then collect';
  }
}

/**
 * `gone`: the output's run was a --mock one whose batches ended with its process (see
 * uncollectedOf): what the next step of every chunk not collected is instead, since none can be
 * collected, submitted or looked up.
 */
export function statusLines(manifest: Manifest, nowMs = Date.now(), gone?: string): ChunkStatusLine[] {
  return manifest.chunks.map((c) => ({
    chunk: c.n,
    batchId: c.batchId ?? null,
    model: c.model,
    status: c.status,
    requests: c.lines,
    completed: c.counts?.completed ?? null,
    failed: c.counts?.failed ?? null,
    ageSeconds: c.submittedAt ? Math.max(0, Math.round((nowMs - c.submittedAt) / 1000)) : null,
    next: gone !== undefined && isOpen(c) ? gone : nextStep(c),
  }));
}

function age(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${(seconds / 3600).toFixed(1)}h`;
}

/**
 * One line per batch, for people: id, model (a batch holds one model's requests: with several, the
 * ids alone do not say which is whose), status, counts, age, what the next run will do.
 */
export function formatStatusLine(s: ChunkStatusLine): string {
  const counts =
    s.completed === null
      ? `${s.requests} ${s.requests === 1 ? 'request' : 'requests'}`
      : `${s.completed}/${s.requests} done${s.failed ? `, ${s.failed} failed` : ''}`;
  return `batch ${s.chunk}  ${s.batchId ?? '(not created)'}  ${s.model}  ${s.status}  ${counts}  ${age(s.ageSeconds)}  next: ${s.next}`;
}
