/**
 * Review s9 F15: given ids and line-based ids are one space. A given id equal to an earlier row's
 * line-based id, or a row whose line-based id an earlier row gave, is an `input` error row under an
 * id of its own; ids of inputs without a clash are what they always were (resume pairs by id).
 */
import { describe, expect, it } from 'vitest';
import { IdRegistry } from '../../src/input/id-registry.js';
import { fallbackId } from '../../src/input/record-id.js';
import { read } from '../helpers/input-chunks.js';

const jsonl = (...rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
const opts = { format: 'jsonl', source: 'x.jsonl' } as const;

describe('line-based ids clash with given ids (F15)', () => {
  it('a given id equal to an earlier row line-based id: the given one is the error row', async () => {
    const generated = fallbackId(1, '{"prompt":"x"}');
    const records = await read(jsonl({ prompt: 'x' }, { id: generated, prompt: 'y' }), opts);
    expect(records[0]).toMatchObject({ id: generated, prompt: 'x' });
    expect(records[0]!.problem).toBeUndefined();
    expect(records[1]!.problem).toMatchObject({
      field: 'id',
      message: `x.jsonl:2: duplicate id "${generated}" (line 1's line-based id); ids must be unique: pick another --id-field, or drop the id to use line-based ids`,
    });
    expect(records[1]!.prompt).toBe('y');
    expect(records[1]!.id).not.toBe(generated);
    expect(records[1]!.id).toMatch(/^2-[0-9a-f]{8}$/);
  });

  it('a row whose line-based id an earlier row gave: the id-less row is the error row', async () => {
    const later = fallbackId(2, '{"prompt":"x"}');
    const records = await read(jsonl({ id: later, prompt: 'y' }, { prompt: 'x' }), opts);
    expect(records[0]).toMatchObject({ id: later, prompt: 'y' });
    expect(records[0]!.problem).toBeUndefined();
    expect(records[1]!.problem?.message).toBe(
      `x.jsonl:2: this row's line-based id "${later}" is the id given on line 1; ids must be unique: give this row an id, or change line 1's`,
    );
    expect(records[1]!.id).not.toBe(later);
    expect(new Set(records.map((r) => r.id)).size).toBe(2);
  });

  it('CSV too: a given id column value equal to an earlier id-less row line-based id', async () => {
    const first = await read('id,prompt\n,x\n', { format: 'csv', source: 'x.csv' });
    const generated = first[0]!.id;
    expect(generated).toMatch(/^2-[0-9a-f]{8}$/);
    const records = await read(`id,prompt\n,x\n${generated},y\n`, { format: 'csv', source: 'x.csv' });
    expect(records[0]!.id).toBe(generated);
    expect(records[1]!.problem?.message).toMatch(/duplicate id .*\(line 2's line-based id\)/);
  });

  it('no clash, no change: ids that only look line-based, of other lines or other hashes, stay', async () => {
    const rows = [
      { prompt: 'a' },
      { id: fallbackId(1, 'something else'), prompt: 'b' }, // line 1, another hash
      { id: fallbackId(9, '{"prompt":"a"}'), prompt: 'c' }, // a line with no row
      { id: fallbackId(5, '{"prompt":"other"}'), prompt: 'd2' }, // the next line's, another hash
      { prompt: 'd' },
      { id: '05-abcdef12', prompt: 'e' },
    ];
    const records = await read(jsonl(...rows), opts);
    expect(records.map((r) => r.problem)).toEqual(rows.map(() => undefined));
    expect(records.map((r) => r.id)).toEqual([
      fallbackId(1, JSON.stringify(rows[0])),
      rows[1]!.id,
      rows[2]!.id,
      rows[3]!.id,
      fallbackId(5, JSON.stringify(rows[4])),
      '05-abcdef12',
    ]);
  });

  it('the error rows ids are stable across runs of the same input (a resume recognises them)', async () => {
    const generated = fallbackId(1, '{"prompt":"x"}');
    const text = jsonl({ prompt: 'x' }, { id: generated, prompt: 'y' }, { id: fallbackId(4, '{"prompt":"z"}'), prompt: 'w' }, { prompt: 'z' });
    const a = await read(text, opts);
    const b = await read(text, opts);
    expect(a.map((r) => r.id)).toEqual(b.map((r) => r.id));
    expect(a.map((r) => r.problem !== undefined)).toEqual([false, true, false, true]);
    expect(new Set(a.map((r) => r.id)).size).toBe(4);
  });
});

describe('IdRegistry', () => {
  it('keeps line-based ids by line across growth, and finds a given id equal to one', () => {
    const ids = new IdRegistry();
    const far = 100_000;
    const id = fallbackId(far, 'row');
    expect(ids.claim(id, far, false)).toBeUndefined();
    expect(ids.claim(fallbackId(3, 'row'), 3, false)).toBeUndefined();
    expect(ids.claim(id, far + 1, true)).toEqual({ line: far, lineBased: true });
    expect(ids.claim(fallbackId(3, 'other'), far + 2, true)).toBeUndefined();
    expect(ids.claim(fallbackId(3, 'other'), far + 3, true)).toEqual({ line: far + 2, lineBased: false });
    expect(ids.claim(fallbackId(far + 4, 'row'), far + 4, false)).toBeUndefined();
  });
});
