/**
 * The library as a user's app uses it (README "As a library"): everything comes from the package's
 * entry, src/index.ts, and failures must reach the caller's try/catch as the documented errors.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode, runBatch, type BatchOptions, type BatchOutcome, type Complete, type PromptRecord, type ResultRow } from '../src/index.js';

async function drain(rows: AsyncGenerator<ResultRow, BatchOutcome, undefined>): Promise<{ rows: ResultRow[]; outcome: BatchOutcome }> {
  const out: ResultRow[] = [];
  for (;;) {
    const step = await rows.next();
    if (step.done) return { rows: out, outcome: step.value };
    out.push(step.value);
  }
}

/** A record as a user builds one by hand. */
const record = (i: number): PromptRecord => ({
  id: `r${i}`,
  line: i + 1,
  source: 'app',
  prompt: `p${i}`,
  messages: [{ role: 'user', content: `p${i}` }],
  params: {},
});

/** Records as readRecords hands them out: an async iterable. */
async function* asyncRecords(...records: PromptRecord[]): AsyncGenerator<PromptRecord> {
  yield* records;
}

describe('runBatch', () => {
  const answering = () => {
    const sent: string[] = [];
    const complete: Complete = async (request) => {
      sent.push(String(request.messages[0]?.content));
      return { text: 'ok', finishReason: 'stop', usage: null, model: request.model, headers: null };
    };
    return { complete, sent };
  };

  it.each<[string, Partial<BatchOptions>, RegExp]>([
    ['no model', { model: undefined }, /^model must be a non-empty string .*, got undefined$/],
    ['an empty model', { model: '' }, /^model must be a non-empty string .*, got ""$/],
    ['a model that is not a string', { model: 4 as unknown as string }, /^model must be a non-empty string .*, got 4$/],
    ['temperature above 2', { temperature: 9 }, /^temperature must be a number from 0 to 2, got 9$/],
    ['temperature below 0', { temperature: -0.5 }, /^temperature must be a number from 0 to 2, got -0.5$/],
    ['temperature NaN', { temperature: Number.NaN }, /^temperature must be a number from 0 to 2, got NaN$/],
    ['temperature as a string', { temperature: '1' as unknown as number }, /^temperature must be a number from 0 to 2, got "1"$/],
    ['an unknown order', { order: 'random' as 'input' }, /^order must be "completion" or "input", got "random"$/],
  ])('refuses %s with a UsageError before sending', async (_name, bad, message) => {
    const { complete, sent } = answering();
    const run = drain(runBatch(asyncRecords(record(0)), { complete, model: 'm', ...bad } as BatchOptions));
    await expect(run).rejects.toThrow(message);
    await expect(run).rejects.toMatchObject({ name: 'UsageError', code: 'usage', exitCode: ExitCode.usage });
    expect(sent).toEqual([]);
  });

  it.each([0, 2])('accepts temperature %d (the bounds the CLI allows)', async (temperature) => {
    const { complete, sent } = answering();
    await drain(runBatch(asyncRecords(record(0)), { complete, model: 'm', temperature }));
    expect(sent).toEqual(['p0']);
  });
});
