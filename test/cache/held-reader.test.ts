import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { heldReader } from '../../src/cache/held-reader.js';

/** A database whose read transactions count how often they were let go. */
function fakeDb() {
  const txns: { done: ReturnType<typeof vi.fn> }[] = [];
  return {
    txns,
    useReadTransaction() {
      const txn = { done: vi.fn() };
      txns.push(txn);
      return txn;
    },
  };
}

describe('heldReader', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('serves lookups from one transaction until `ms` after it was taken, then lets it go', () => {
    const db = fakeDb();
    const reader = heldReader(100);
    const first = reader.of(db);
    vi.advanceTimersByTime(99);
    expect(reader.of(db)).toBe(first);
    expect(db.txns).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(first.done).toHaveBeenCalledTimes(1);
    // Nothing is held, and no timer is left, until the next lookup.
    expect(vi.getTimerCount()).toBe(0);
    const second = reader.of(db);
    expect(second).not.toBe(first);
    expect(db.txns).toHaveLength(2);
  });

  it('drop lets the transaction go at once, once, and the next lookup takes a new one', () => {
    const db = fakeDb();
    const reader = heldReader(100);
    const first = reader.of(db);
    reader.drop();
    reader.drop();
    expect(first.done).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(reader.of(db)).not.toBe(first);
    vi.advanceTimersByTime(100);
    expect(first.done).toHaveBeenCalledTimes(1);
    expect(db.txns[1]!.done).toHaveBeenCalledTimes(1);
  });

  it("a transaction the database's close already ended is let go quietly, at drop and at its timer", () => {
    const ended = {
      done: vi.fn(() => {
        throw new Error('The transaction is already closed.');
      }),
    };
    const db = { useReadTransaction: () => ended };
    const reader = heldReader(100);
    reader.of(db);
    expect(() => vi.advanceTimersByTime(100)).not.toThrow();
    reader.of(db);
    expect(() => reader.drop()).not.toThrow();
    expect(ended.done).toHaveBeenCalledTimes(2);
  });

  it('takes nothing and sets no timer while there are no lookups', () => {
    const reader = heldReader(100);
    reader.drop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
