import { describe, expect, it } from 'vitest';
import type { BatchJobOutcome } from '../../src/batch/batch-job.js';
import type { Chunk, Manifest } from '../../src/batch/manifest.js';
import { budgetEnd, resumable, streamResumeRefusal, unplannableLine } from '../../src/cli/batch-stream-resume.js';

const chunk = (extra: Partial<Chunk>): Chunk => ({ n: 1, model: 'm', file: 'chunk-00001.jsonl', lines: 2, bytes: 10, status: 'completed', ...extra });
const manifestOf = (chunks: Chunk[], extra: Partial<Manifest> = {}): Manifest => ({ version: 1, runKey: 'k', planned: true, inputErrors: 0, chunks, ...extra });

describe('streamResumeRefusal: a --batch-api --resume into a FIFO', () => {
  it('is refused once every batch is collected: it would plan (and pay for) the whole input again', () => {
    const done = manifestOf([chunk({ batchId: 'batch_1', collected: true })]);
    expect(streamResumeRefusal('rows.jsonl', done)).toBe(
      'rows.jsonl is a FIFO, whose rows cannot be read back, and every batch rows.jsonl.batch.json lists is collected: a --resume cannot know which prompts were answered and would send (and bill) every one again; nothing was sent. To send the whole input again, pass --overwrite in place of --resume',
    );
    // A refused (stranded) chunk beside a collected one: everything would go out again.
    const stranded = chunk({ n: 2, status: 'failed', note: 'refused: x' });
    expect(streamResumeRefusal('rows.jsonl', manifestOf([chunk({ collected: true }), stranded]))).toMatch(/^rows\.jsonl is a FIFO/);
  });

  it('names the input --max-cost held back', () => {
    const held = manifestOf([chunk({ collected: true })], { budget: { spentPico: 5, planned: 2, held: { id: 'q3', line: 3, worstPico: 9 } } });
    expect(streamResumeRefusal('rows.jsonl', held)).toMatch(
      /nothing was sent \(the input from id q3 on line 3 on was never submitted: over --max-cost\)\. To send the whole input again, pass --overwrite/,
    );
  });

  it('lets it collect batches still open, plan again when nothing was collected, and a plan a kill cut short', () => {
    // No batch yet (--max-cost held the first line), or only ones the server refused unrun: nothing is paid twice.
    expect(streamResumeRefusal('rows.jsonl', manifestOf([]))).toBeUndefined();
    expect(streamResumeRefusal('rows.jsonl', manifestOf([chunk({ status: 'failed', note: 'refused: x' })]))).toBeUndefined();
    expect(streamResumeRefusal('rows.jsonl', manifestOf([chunk({ collected: true }), chunk({ n: 2, status: 'in_progress', batchId: 'b' })]))).toBeUndefined();
    expect(streamResumeRefusal('rows.jsonl', manifestOf([chunk({ status: 'built' })]))).toBeUndefined();
    expect(streamResumeRefusal('rows.jsonl', manifestOf([], { planned: false }))).toBeUndefined();
  });
});

describe('budgetEnd: how a --max-cost batch run ends', () => {
  const outcome = (planned: number): BatchJobOutcome => ({
    pending: 0,
    interrupted: false,
    running: 0,
    unsubmitted: 0,
    budget: { spentUsd: 0.01, planned, held: { id: 'q3', line: 3, worstUsd: 0.02 } },
  });

  it('more fits: the same command with --resume into a file, but no command into a FIFO that would refuse it (it would pay twice)', () => {
    expect(budgetEnd(outcome(2), true)).toMatchObject({ stuck: false, more: true, unplannable: false });
    expect(budgetEnd(outcome(2), false)).toMatchObject({ stuck: false, more: false, unplannable: true, held: { id: 'q3' } });
    expect(unplannableLine('rows.jsonl', { id: 'q3', line: 3 })).toBe(
      "the input from id q3 on line 3 on was not submitted (over --max-cost when it was planned), and more fits now that the batches' real cost is known; but rows.jsonl is a FIFO, whose rows cannot be read back, so a --resume cannot know which prompts were answered and is refused: every answered row went to its reader",
    );
  });

  it('a --resume is refused only into a FIFO with collected batches', () => {
    const collected = manifestOf([chunk({ collected: true })]);
    expect(resumable('rows.jsonl', true, collected)).toBe(false);
    expect(resumable('out.jsonl', false, collected)).toBe(true);
    expect(resumable('rows.jsonl', true, manifestOf([]))).toBe(true);
    expect(resumable('rows.jsonl', true, undefined)).toBe(true);
  });

  it('a cap that holds the next request with nothing reserved is stuck, file or FIFO; nothing held is neither', () => {
    expect(budgetEnd(outcome(0), false)).toMatchObject({ stuck: true, more: false, unplannable: false });
    expect(budgetEnd(outcome(0), true)).toMatchObject({ stuck: true, more: false, unplannable: false });
    expect(budgetEnd({ pending: 0, interrupted: false, unsubmitted: 0, running: 0 }, true)).toEqual({ stuck: false, more: false, unplannable: false });
    expect(budgetEnd({ ...outcome(2), pending: 1 }, true)).toEqual({ stuck: false, more: false, unplannable: false });
  });
});
