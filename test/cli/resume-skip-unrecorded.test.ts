import { describe, expect, it } from 'vitest';
import { createStats } from '../../src/engine/stats.js';
import { skipAnswered, type ResumeSkip } from '../../src/cli/resume-skip.js';
import type { PromptRecord } from '../../src/types.js';
import { asyncFrom, promptRecord } from '../helpers/collect.js';

/** A resume from stdin of an output with rows for `answered` (record numbers), done. */
function stdinSkip(answered: readonly number[], limit = 100): ResumeSkip {
  const ids = new Set(answered.map((i) => `r${i}`));
  const skip = (record: PromptRecord) => (ids.has(record.id) ? ('done' as const) : undefined);
  return Object.assign(skip, { unrecorded: { known: (record: PromptRecord) => ids.has(record.id), output: 'out.jsonl', source: 'stdin', limit } });
}

/** What skipAnswered lets through (ids), until it ends or throws. */
async function sent(records: readonly number[], skip: ResumeSkip): Promise<{ ids: string[]; error?: string }> {
  const ids: string[] = [];
  try {
    for await (const record of skipAnswered(asyncFrom(records.map((i) => promptRecord(i))), skip, createStats())) ids.push(record.id);
  } catch (err) {
    return { ids, error: (err as Error).message };
  }
  return { ids };
}

describe('skipAnswered from stdin (no fingerprint of its content)', () => {
  it('an input that starts with answered prompts runs as ever: the new ones after them', async () => {
    expect(await sent([0, 1, 2, 3], stdinSkip([0, 1]))).toEqual({ ids: ['r2', 'r3'] });
  });

  it('prompts a killed run left unanswered before its first row are held until that row shows the input is the same, then sent in order', async () => {
    expect(await sent([0, 1, 2, 3, 4], stdinSkip([2, 3]))).toEqual({ ids: ['r0', 'r1', 'r4'] });
  });

  it('none with a row (lines shifted, or another input): refused before any is sent', async () => {
    expect(await sent([10, 11, 12], stdinSkip([0, 1]))).toEqual({
      ids: [],
      error:
        'out.jsonl was written by a different run (none of the 3 prompts read from stdin has a row there: the input is another, or was edited since the output was started, ' +
        'as a text line added or removed before the others shifts their ids); refusing to mix results. Pass --force-resume to continue anyway, or write to a new file',
    });
  });

  it('a long such input is refused once more are held than a killed run leaves unanswered, not read to its end', async () => {
    const records = Array.from({ length: 50 }, (_, i) => 100 + i);
    expect(await sent(records, stdinSkip([0], 5))).toMatchObject({
      ids: [],
      error: expect.stringMatching(/none of the first 6 prompts read from stdin has a row there/),
    });
  });

  it('an empty input is not refused', async () => {
    expect(await sent([], stdinSkip([0]))).toEqual({ ids: [] });
  });
});
