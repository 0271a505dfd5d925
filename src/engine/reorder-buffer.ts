import type { ResultRow } from '../types.js';

/**
 * Finished records by read sequence, handed out as they finish or, with `ordered`, in input order
 * (a finished record waits here until every earlier one is out). `null` marks a record that a stop
 * left unfinished: it leaves the buffer like the others but has no row.
 */
export class ReorderBuffer {
  /** Input order: finished records by sequence, each until every earlier one is out. */
  private readonly done = new Map<number, ResultRow | null>();
  /**
   * Completion order: finished records as they came. A map's set and delete for every row made it
   * rebuild its table again and again, and the tables outlived scavenges (issue 16).
   */
  private finished: (ResultRow | null)[] = [];
  /** How many of `finished` are handed out: a drain and another (or takeAll) meanwhile share it. */
  private head = 0;
  private nextToEmit = 0;

  constructor(private readonly ordered: boolean) {}

  /** Entries in the buffer: after a drain, those waiting behind an earlier record (input order). */
  get size(): number {
    return this.ordered ? this.done.size : this.finished.length - this.head;
  }

  put(seq: number, row: ResultRow | null): void {
    if (this.ordered) this.done.set(seq, row);
    else this.finished.push(row);
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
      return;
    }
    // A caller that stops part-way leaves the rest for the next drain (or takeAll).
    while (this.head < this.finished.length) yield this.finished[this.head++]!;
    this.finished.length = this.head = 0;
  }

  /** Empties the buffer, whatever the order: the rows of a run whose consumer stopped early. */
  takeAll(): ResultRow[] {
    const rows = [...this.done.values(), ...this.finished.slice(this.head)].filter((row) => row !== null);
    this.done.clear();
    this.finished.length = this.head = 0;
    return rows;
  }
}
