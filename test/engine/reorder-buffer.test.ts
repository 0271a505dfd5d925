import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../src/engine/reorder-buffer.js';
import type { ResultRow } from '../../src/types.js';

const row = (id: string) => ({ id }) as unknown as ResultRow;
const ids = (rows: Iterable<ResultRow | null>) => [...rows].map((r) => (r ? r.id : null));

describe.each([false, true])('ReorderBuffer (ordered: %s)', (ordered) => {
  it('takes, in the same pass, what is put while the caller is busy with an entry', () => {
    const buffer = new ReorderBuffer(ordered);
    buffer.put(0, row('a'));
    const seen: (string | null)[] = [];
    for (const r of buffer.drain()) {
      seen.push(r ? r.id : null);
      if (seen.length === 1) {
        buffer.put(1, null);
        buffer.put(2, row('c'));
      }
    }
    expect(seen).toEqual(['a', null, 'c']);
    expect(buffer.size).toBe(0);
    expect(ids(buffer.drain())).toEqual([]);
  });

  it('leaves what a drain stopped part-way did not take for the next one, and takeAll drops the nulls', () => {
    const buffer = new ReorderBuffer(ordered);
    buffer.put(0, row('a'));
    buffer.put(1, row('b'));
    buffer.put(2, null);
    buffer.put(3, row('d'));
    for (const r of buffer.drain()) if (r?.id === 'a') break;
    expect(buffer.size).toBe(3);
    const next = buffer.drain();
    expect(next.next().value).toMatchObject({ id: 'b' });
    next.return(undefined);
    expect(ids(buffer.takeAll())).toEqual(['d']);
    expect(buffer.size).toBe(0);
  });

  it('hands nothing out twice: a second drain, or takeAll, while a drain is paused', () => {
    const buffer = new ReorderBuffer(ordered);
    buffer.put(0, row('a'));
    buffer.put(1, row('b'));
    const paused = buffer.drain();
    expect(paused.next().value).toMatchObject({ id: 'a' });
    expect(ids(buffer.drain())).toEqual(['b']);
    expect(ids(paused)).toEqual([]);
    buffer.put(2, row('c'));
    buffer.put(3, row('d'));
    const again = buffer.drain();
    expect(again.next().value).toMatchObject({ id: 'c' });
    expect(ids(buffer.takeAll())).toEqual(['d']);
    expect(ids(again)).toEqual([]);
  });
});

describe('ReorderBuffer in completion order', () => {
  it('hands rows out as they finish, whatever their sequence', () => {
    const buffer = new ReorderBuffer(false);
    buffer.put(2, row('c'));
    buffer.put(0, row('a'));
    expect(ids(buffer.drain())).toEqual(['c', 'a']);
  });
});

describe('ReorderBuffer in input order', () => {
  it('holds a row until every earlier one is out, and counts what it holds', () => {
    const buffer = new ReorderBuffer(true);
    buffer.put(2, row('c'));
    buffer.put(1, row('b'));
    expect(ids(buffer.drain())).toEqual([]);
    expect(buffer.size).toBe(2);
    buffer.put(0, row('a'));
    expect(ids(buffer.drain())).toEqual(['a', 'b', 'c']);
    expect(buffer.size).toBe(0);
  });
});
