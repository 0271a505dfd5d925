import type { ResultRow } from '../types.js';

/**
 * Finished records by read sequence, handed out as they finish or, with `ordered`, in input order
 * (a finished record waits here until every earlier one is out). `null` marks a record that a stop
 * left unfinished: it leaves the buffer like the others but has no row.
 */
export class ReorderBuffer {
  private readonly done = new Map<number, ResultRow | null>();
  private nextToEmit = 0;

  constructor(private readonly ordered: boolean) {}

  /** Entries in the buffer: after a drain, those waiting behind an earlier record (input order). */
  get size(): number {
    return this.done.size;
  }

  put(seq: number, row: ResultRow | null): void {
    this.done.set(seq, row);
  }

  /**
   * Takes out what may go now, one entry per step. Lazy: entries put while the caller is busy with
   * one (it yields rows to its own consumer) are taken in the same pass.
   */
  *drain(): Generator<ResultRow | null, void, undefined> {
    if (this.ordered) {
      while (this.done.has(this.nextToEmit)) {
        const row = this.done.get(this.nextToEmit)!;
        this.done.delete(this.nextToEmit++);
        yield row;
      }
    } else {
      for (const [seq, row] of this.done) {
        this.done.delete(seq);
        yield row;
      }
    }
  }

  /** Empties the buffer, whatever the order: the rows of a run whose consumer stopped early. */
  takeAll(): ResultRow[] {
    const rows = [...this.done.values()].filter((row) => row !== null);
    this.done.clear();
    return rows;
  }
}
