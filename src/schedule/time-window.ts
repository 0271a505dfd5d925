/** Timestamps within a trailing window, O(1) amortised per push (a head index instead of shift()). */
export class TimeWindow {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly spanMs: number) {}

  push(t: number): void {
    this.times.push(t);
    this.trim(t);
  }

  /** Entries later than `now - spanMs`. */
  count(now: number): number {
    this.trim(now);
    return this.times.length - this.head;
  }

  /** The entries within the span, oldest first. */
  entries(now: number): readonly number[] {
    this.trim(now);
    return this.times.slice(this.head);
  }

  private trim(now: number): void {
    const cutoff = now - this.spanMs;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
