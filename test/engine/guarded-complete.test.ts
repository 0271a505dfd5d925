import { describe, expect, it } from 'vitest';
import { runBatch } from '../../src/index.js';
import { guardedComplete } from '../../src/engine/guarded-complete.js';
import { trustedComplete, type Complete, type CompletionResult } from '../../src/provider/completion.js';
import type { ResultRow } from '../../src/types.js';
import { asyncFrom, promptRecord } from '../helpers/collect.js';

const never = () => new Promise<CompletionResult>(() => {});

async function rowsOf(complete: Complete, extra: { timeoutMs?: number; abortSignal?: AbortSignal } = {}): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  for await (const row of runBatch(asyncFrom([promptRecord(0)]), { complete, model: 'm', retries: 0, ...extra })) rows.push(row);
  return rows;
}

describe("a caller's own complete", () => {
  it('that ignores its signal still times out at timeoutMs: a timeout row, and the run ends', { timeout: 5_000 }, async () => {
    const rows = await rowsOf(never, { timeoutMs: 30 });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.error).toMatchObject({ type: 'timeout', message: 'attempt exceeded --timeout 0.03s' });
  });

  it('that ignores its signal ends with the run when the caller aborts it: no row (a resume asks again)', { timeout: 5_000 }, async () => {
    const abort = new AbortController();
    const started: Complete = () => {
      setImmediate(() => abort.abort());
      return never();
    };
    expect(await rowsOf(started, { abortSignal: abort.signal })).toEqual([]);
  });

  it('that resolves to something without a text gives an error row, not a success without an answer', async () => {
    for (const value of [undefined, null, 'ok', { finishReason: 'stop' }, { text: 42 }]) {
      const rows = await rowsOf(async () => value as unknown as CompletionResult);
      expect(rows[0]!.error?.type, String(value)).toBe('bad_response');
      expect(rows[0]!.error?.message).toMatch(
        /^complete resolved to (undefined|null|ok|an object whose text is (undefined|number)), not a result with a text$/,
      );
    }
  });

  it('that resolves to { text } alone gives a row with every field, the ones it left out null', async () => {
    const rows = await rowsOf(async () => ({ text: 'x' }) as CompletionResult);
    expect(rows[0]).toMatchObject({ response: 'x', error: null, finish_reason: null, usage: null });
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['finish_reason', 'usage', 'model']));
  });

  it('that goes on streaming after its deadline: the late deltas reach no onEvent', { timeout: 5_000 }, async () => {
    let late: ((text: string) => void) | undefined;
    const streaming: Complete = (_request, { onDelta }) => {
      onDelta?.('early');
      late = onDelta;
      return never();
    };
    const deltas: string[] = [];
    const rows: ResultRow[] = [];
    const onEvent = (e: { type: string; text?: string }) => {
      if (e.type === 'delta') deltas.push(e.text!);
    };
    for await (const row of runBatch(asyncFrom([promptRecord(0)]), { complete: streaming, model: 'm', retries: 0, timeoutMs: 30, onEvent })) rows.push(row);
    late?.('late');
    expect(rows[0]!.error?.type).toBe('timeout');
    expect(deltas).toEqual(['early']);
  });

  it('that calls onDelta, as README says it may, is answered whether or not anyone listens to deltas', async () => {
    const streaming: Complete = async (_request, { onDelta }) => {
      onDelta!('Hel');
      onDelta!('lo');
      return { text: 'Hello', finishReason: 'stop', usage: null, model: 'm', headers: undefined } as unknown as CompletionResult;
    };
    for (const extra of [{}, { onEvent: () => {}, deltaEvents: false }, { stream: false }]) {
      const rows: ResultRow[] = [];
      for await (const row of runBatch(asyncFrom([promptRecord(0)]), { complete: streaming, model: 'm', retries: 0, ...extra })) rows.push(row);
      expect(
        rows.map((r) => [r.response, r.error, r.attempts]),
        JSON.stringify(extra),
      ).toEqual([['Hello', null, 1]]);
    }
  });

  it('that throws at once fails its attempt as before (a connection row)', async () => {
    const rows = await rowsOf(() => {
      throw new Error('socket gone');
    });
    expect(rows[0]!.error).toMatchObject({ type: 'connection' });
  });

  it('keeps its warmUp and close; ours is used as it is', async () => {
    const calls: string[] = [];
    const own = Object.assign(() => never(), { warmUp: async () => void calls.push('warmUp'), close: async () => void calls.push('close') });
    const guarded = guardedComplete(own);
    expect(guarded).not.toBe(own);
    await guarded.warmUp?.();
    await guarded.close?.();
    expect(calls).toEqual(['warmUp', 'close']);
    expect(guardedComplete(guarded)).toBe(guarded);
    const ours = trustedComplete((async () => ({ text: '', finishReason: null, usage: null, model: null, headers: null })) as Complete);
    expect(guardedComplete(ours)).toBe(ours);
  });
});
