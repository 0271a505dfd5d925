import { describe, expect, it } from 'vitest';
import type { Complete, CompletionResult } from '../../src/provider/completion.js';
import { runBatch } from '../../src/engine/run-batch.js';
import { createStats } from '../../src/engine/stats.js';
import { asyncFrom as from, promptRecord as rec } from '../helpers/collect.js';

const answer: CompletionResult = { text: 'ok', finishReason: 'stop', usage: { prompt_tokens: 1, completion_tokens: 1 }, model: 'm', headers: null };

describe('runBatch: a consumer that stops part-way through a group', () => {
  it('every row onRow saw is either taken or told to onDropped, none both', async () => {
    // Answers come eight at a time, so rows finish, and are handed out, in groups of eight.
    let waiting: Array<() => void> = [];
    const complete: Complete = () =>
      new Promise<CompletionResult>((resolve) => {
        waiting.push(() => resolve(answer));
        if (waiting.length === 8) {
          const all = waiting;
          waiting = [];
          setImmediate(() => {
            for (const go of all) go();
          });
        }
      });
    const records = Array.from({ length: 40 }, (_, i) => rec(i));
    const seen: string[] = [];
    const dropped: string[] = [];
    const taken: string[] = [];
    const stats = createStats();
    for await (const row of runBatch(from(records), {
      complete,
      model: 'm',
      concurrency: 8,
      stats,
      onRow: (r) => seen.push(r.id),
      onDropped: (r) => dropped.push(r.id),
    })) {
      taken.push(row.id);
      if (taken.length === 3) break;
    }
    expect(taken).toHaveLength(3);
    // The group of eight the consumer stopped in: five rows it never took.
    expect(seen.length).toBeGreaterThanOrEqual(8);
    expect(dropped.filter((id) => taken.includes(id))).toEqual([]);
    expect(seen.filter((id) => !taken.includes(id) && !dropped.includes(id))).toEqual([]);
    expect(stats.ok).toBe(seen.length);
  });
});
