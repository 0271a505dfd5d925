import { describe, expect, it } from 'vitest';
import { cellsOf, expandMatrix } from '../../src/input/expand-matrix.js';
import type { PromptRecord } from '../../src/types.js';
import { asyncFrom as from, collect, promptRecord as rec } from '../helpers/collect.js';

describe('expandMatrix', () => {
  it('hands a plain run its generator back, records untouched', async () => {
    const records = from([rec(0), rec(1)]);
    const plain = expandMatrix(records, { models: ['m'], repeat: 1 });
    expect(plain).toBe(records);
    expect(await collect(plain)).toEqual([rec(0), rec(1)]);
  });

  it('passes a plain iterable through as a generator', async () => {
    const iterable: AsyncIterable<PromptRecord> = { [Symbol.asyncIterator]: () => from([rec(0)]) };
    const plain = expandMatrix(iterable, { models: ['m'], repeat: 1 });
    expect(typeof plain.next).toBe('function');
    expect(await collect(plain)).toEqual([rec(0)]);
  });

  it('one record per model and sample; a record naming its model and a problem record once', async () => {
    const problem = rec(2, { problem: { message: 'bad', field: 'prompt' } } as Partial<PromptRecord>);
    const out = await collect(expandMatrix(from([rec(0), rec(1, { params: { model: 'own' } }), problem]), { models: ['a', 'b'], repeat: 2 }));
    expect(out.map((r) => [r.id, r.params.model, r.sample])).toEqual([
      ['r0', 'a', 0],
      ['r0', 'a', 1],
      ['r0', 'b', 0],
      ['r0', 'b', 1],
      ['r1', 'own', 0],
      ['r1', 'own', 1],
      ['r2', undefined, undefined],
    ]);
  });

  it('takes the models as a set, as -m A,A is: a model named twice is asked once', async () => {
    const out = await collect(expandMatrix(from([rec(0)]), { models: ['a', 'b', 'a'], repeat: 1 }));
    expect(out.map((r) => [r.id, r.params.model, r.sample])).toEqual([
      ['r0', 'a', 0],
      ['r0', 'b', 0],
    ]);
    const records = from([rec(0)]);
    expect(expandMatrix(records, { models: ['a', 'a'], repeat: 1 })).toBe(records);
  });

  it("expands a record without params as one with params {} (the run's defaults)", async () => {
    const { params: _, ...bare } = rec(0);
    const out = await collect(expandMatrix(from([bare as PromptRecord]), { models: ['a', 'b'], repeat: 1 }));
    expect(out).toEqual([
      { ...bare, params: { model: 'a' }, sample: 0 },
      { ...bare, params: { model: 'b' }, sample: 0 },
    ]);
  });

  it.each([
    ['params null', { ...rec(0), params: null }],
    ['params a string', { ...rec(0), params: 'm' }],
    ['params an array', { ...rec(0), params: ['m'] }],
    ['not an object', null],
  ])('hands a record with %s on once, untouched, for runBatch to refuse', async (_name, bad) => {
    const out = await collect(expandMatrix(from([bad as PromptRecord, rec(1)]), { models: ['a', 'b'], repeat: 1 }));
    expect(out).toEqual([bad, { ...rec(1), params: { model: 'a' }, sample: 0 }, { ...rec(1), params: { model: 'b' }, sample: 0 }]);
  });
});

describe('cellsOf: the records expandMatrix makes of one, counted without making them', () => {
  const records = [
    { id: 'plain', prompt: 'p', params: {} },
    { id: 'own', prompt: 'p', params: { model: 'mine' } },
    { id: 'bad', prompt: '', problem: 'missing prompt' },
  ] as unknown as PromptRecord[];
  it.each([
    { models: ['a'], repeat: 1 },
    { models: ['a', 'b', 'a'], repeat: 3 },
    { models: ['a'], repeat: 4 },
    { models: ['a'], repeat: 1, tagged: true },
  ])('%o', async (matrix) => {
    for (const record of records) {
      let made = 0;
      for await (const _ of expandMatrix(from([record]), matrix)) made++;
      expect(cellsOf(record, matrix)).toBe(made);
    }
  });
});
