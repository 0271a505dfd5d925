import { describe, expect, it } from 'vitest';
import { IdSet } from '../../src/batch/id-set.js';

describe('IdSet', () => {
  it('finds every id it was given and none it was not, across many growths', () => {
    const ids = new IdSet();
    const n = 50_000;
    for (let i = 0; i < n; i++) expect(ids.add(`${i + 1}-${(i * 2654435761) >>> 0}`)).toBe(true);
    expect(ids.size).toBe(n);
    for (let i = 0; i < n; i++) expect(ids.has(`${i + 1}-${(i * 2654435761) >>> 0}`)).toBe(true);
    for (let i = 0; i < n; i++) expect(ids.has(`${i + 1}-${(i * 2654435761 + 1) >>> 0}`)).toBe(false);
  });

  it('refuses a second add of the same id, even after other ids were hashed in between', () => {
    const ids = new IdSet();
    expect(ids.add('a')).toBe(true);
    expect(ids.has('b')).toBe(false);
    expect(ids.add('a')).toBe(false);
    expect(ids.add('b')).toBe(true);
    expect(ids.add('b')).toBe(false);
    expect(ids.size).toBe(2);
  });

  it('tells apart ids that differ in one character, in case, in Unicode form, and the empty id', () => {
    const ids = new IdSet();
    const similar = ['row-1', 'row-2', 'Row-1', 'row-1 ', '', 'caf\u00e9', 'cafe\u0301', '["x","gpt-4o",0]', '["x","gpt-4o",1]', '😀', '\u0000'];
    for (const id of similar) expect(ids.add(id)).toBe(true);
    for (const id of similar) expect(ids.has(id)).toBe(true);
    expect(ids.size).toBe(similar.length);
  });
});
