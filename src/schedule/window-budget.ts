/**
 * An exact sliding-window cap: the costs admitted in any window of `windowMs` never add up to more
 * than `capacity`. The GCRA keeps the long-run pace; this guards the short window, where one
 * request's cost (hundreds of tokens) is larger than any safety margin on the rate.
 */
export class WindowBudget {
  private entries: Array<{ t: number; cost: number }> = [];
  private head = 0;
  private sum = 0;

  constructor(
    public capacity: number,
    private readonly windowMs = 1000,
  ) {}

  private largest = 0;

  /**
   * Usable capacity: one request's worth is held back, because arrivals at the server jitter by a few
   * ms and one request moving into a window is a whole request's cost, more than any rate margin.
   */
  private usable(): number {
    return Math.max(this.capacity / 2, this.capacity - this.largest);
  }

  /** Milliseconds until `cost` fits. A cost above capacity waits for an empty window. */
  delay(cost: number, now: number): number {
    this.expire(now);
    const limit = this.usable();
    const need = Math.min(cost, limit);
    let sum = this.sum;
    if (sum + need <= limit) return 0;
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      sum -= e.cost;
      if (sum + need <= limit) return Math.max(0, e.t + this.windowMs - now);
    }
    return 0;
  }

  admit(cost: number, now: number): void {
    this.expire(now);
    this.entries.push({ t: now, cost });
    this.sum += cost;
    this.largest = Math.max(this.largest, cost);
  }

  private expire(now: number): void {
    while (this.head < this.entries.length && this.entries[this.head]!.t <= now - this.windowMs) {
      this.sum -= this.entries[this.head]!.cost;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
