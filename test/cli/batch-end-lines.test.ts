import { describe, expect, it } from 'vitest';
import { pendingLine, uncollectedWords } from '../../src/cli/batch-end-lines.js';

const NEXT = 'llm-batch in.txt -o out.jsonl --batch-api --resume';
/** `running`: of the batches on the server, those not ended there (all of them unless said). */
const outcome = (pending: number, unsubmitted = 0, interrupted = false, running = pending - unsubmitted) => ({ pending, unsubmitted, interrupted, running });

describe('pendingLine: how a --batch-api run that leaves work behind ends', () => {
  it('a signal: the batches keep running on the server, and the command', () => {
    expect(pendingLine(outcome(1, 0, true), NEXT, true)).toBe(`1 batch is still pending: it keeps running on the server; to continue, run: ${NEXT}`);
    expect(pendingLine(outcome(2, 0, true), NEXT, true)).toBe(`2 batches are still pending: they keep running on the server; to continue, run: ${NEXT}`);
    // Collected already, or nothing planned yet: the command alone.
    expect(pendingLine(outcome(0, 0, true), NEXT, true)).toBe(`to continue, run: ${NEXT}`);
  });

  it('a signal while the batches not collected have ended on the server (--finish-live of an expired one): not "running"', () => {
    expect(pendingLine(outcome(1, 0, true, 0), NEXT, true)).toBe(
      `1 batch is still pending: it has ended on the server, and nothing runs there; to continue, run: ${NEXT}`,
    );
    expect(pendingLine(outcome(3, 0, true, 1), NEXT, true)).toBe(`3 batches are still pending: 1 keeps running on the server; to continue, run: ${NEXT}`);
  });

  it('--no-wait: still pending, and the command', () => {
    expect(pendingLine(outcome(3), NEXT, false)).toBe(`3 batches are still pending; to continue, run: ${NEXT}`);
  });

  it('no batch submitted: never "pending", with the failure that kept them', () => {
    expect(pendingLine({ ...outcome(1, 1), outage: { forMs: 1, lastError: 'HTTP 503' } }, NEXT, false)).toBe(
      `nothing was submitted yet (1 batch waits to be uploaded: HTTP 503); to try again, run: ${NEXT}`,
    );
  });

  it('a stop after an upload, before its batch was created: that one waits to be created, not uploaded', () => {
    expect(pendingLine({ ...outcome(3, 3, true), uploaded: 1 }, NEXT, true)).toBe(
      `nothing was submitted yet (1 batch waits to be created, 2 to be uploaded); to try again, run: ${NEXT}`,
    );
    expect(pendingLine({ ...outcome(1, 1, true), uploaded: 1 }, NEXT, true)).toBe(
      `nothing was submitted yet (1 batch waits to be created from its uploaded file); to try again, run: ${NEXT}`,
    );
    expect(pendingLine({ ...outcome(2, 2, true), uploaded: 2, anySubmitted: true }, NEXT, true)).toBe(
      `2 batches wait to be created from their uploaded files; to continue, run: ${NEXT}`,
    );
  });

  it('batches submitted earlier (collected, or expired and resent): not "nothing was submitted yet"', () => {
    expect(pendingLine({ ...outcome(2, 2), anySubmitted: true, outage: { forMs: 1, lastError: 'HTTP 503' } }, NEXT, false)).toBe(
      `2 batches wait to be uploaded: HTTP 503; to continue, run: ${NEXT}`,
    );
  });

  it('batches on the server beside ones never submitted: only the first are pending', () => {
    expect(pendingLine(outcome(3, 1), NEXT, false)).toBe(`2 batches are still pending, and 1 built but not submitted; to continue, run: ${NEXT}`);
    expect(pendingLine(outcome(2, 1, true), NEXT, true)).toBe(
      `1 batch is still pending: it keeps running on the server, and 1 built but not submitted; to continue, run: ${NEXT}`,
    );
  });

  it('nothing to say without a command, or with nothing left', () => {
    expect(pendingLine(outcome(1, 0, true), null, true)).toBeUndefined();
    expect(pendingLine(outcome(0), NEXT, false)).toBeUndefined();
  });
});

describe("uncollectedWords: the batches a --report lacks, in the run's words", () => {
  it.each([
    [{ pending: 2, unsubmitted: 0, gone: 0 }, '2 batches are still pending'],
    [{ pending: 1, unsubmitted: 0, gone: 0 }, '1 batch is still pending'],
    [{ pending: 0, unsubmitted: 1, gone: 0 }, '1 batch was built but not submitted'],
    [{ pending: 0, unsubmitted: 2, gone: 0 }, '2 batches were built but not submitted'],
    [{ pending: 1, unsubmitted: 2, gone: 0 }, '1 batch is still pending, and 2 built but not submitted'],
    [{ pending: 0, unsubmitted: 0, gone: 0 }, undefined],
    [{ pending: 0, unsubmitted: 0, gone: 2 }, '2 batches were not collected and cannot be (--mock)'],
  ])('%o → %s', (batches, words) => {
    expect(uncollectedWords(batches)).toBe(words);
  });
});
