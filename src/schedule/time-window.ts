/**
 * Timestamps within a trailing window, O(1) amortised per push (a head index instead of shift()).
 * Pushes must come in time order, which send times do.
 */
export class TimeWindow {
  private times: number[] = [];
  private head = 0;

  constructor(
    private readonly spanMs: number,
    /** Entries kept past the span, the latest ones: a reading over the last few of a slow stream. */
    private readonly minKept = 0,
  ) {}

  push(t: number): void {
    this.times.push(t);
    this.trim(t);
  }

  /** The oldest entry still held; undefined when none is. */
  oldest(): number | undefined {
    return this.times[this.head];
  }

  /** Entries in the open interval (from, to); only what the span still holds is counted. */
  countBetween(from: number, to: number): number {
    return this.indexAfter(to, true) - this.indexAfter(from, false);
  }

  /** Entries later than `from`, oldest first. */
  since(from: number): readonly number[] {
    return this.times.slice(this.indexAfter(from, false));
  }

  /** Index of the first entry > t (or >= t when `inclusive`), by binary search from the head. */
  private indexAfter(t: number, inclusive: boolean): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.times[mid]!;
      if (inclusive ? v < t : v <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private trim(now: number): void {
    const cutoff = now - this.spanMs;
    while (this.times.length - this.head > this.minKept && this.times[this.head]! <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
