/**
 * An exact sliding-window cap: the costs admitted in any window of `windowMs` never add up to more
 * than `capacity`, except that a single cost above `capacity` is admitted alone, into an empty
 * window (it could never fit otherwise; the caller refuses one larger than the provider allows).
 * The GCRA keeps the pace smooth; this enforces the provider's own rule (tokens per minute over a
 * sliding minute), which a smooth pace plus one request's head start can overrun.
 */
export class WindowBudget {
  private entries: Array<{ t: number; cost: number }> = [];
  private head = 0;
  private sum = 0;

  constructor(
    public capacity: number,
    private readonly windowMs: number,
  ) {}

  /** The cost admitted within the window ending at `now`. */
  used(now: number): number {
    this.expire(now);
    return this.sum;
  }

  /** Milliseconds until `cost` fits. A cost above capacity waits for an empty window. */
  delay(cost: number, now: number): number {
    this.expire(now);
    const need = Math.min(cost, this.capacity);
    let sum = this.sum;
    if (sum + need <= this.capacity) return 0;
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      sum -= e.cost;
      if (sum + need <= this.capacity) return Math.max(0, e.t + this.windowMs - now);
    }
    return 0;
  }

  admit(cost: number, now: number): void {
    if (cost <= 0) return;
    this.expire(now);
    this.entries.push({ t: now, cost });
    this.sum += cost;
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
