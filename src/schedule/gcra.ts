/**
 * Generic cell-rate algorithm ("virtual scheduling"). Each admission of cost c occupies c / rate of
 * a virtual timeline, and the slots never overlap, so any window of length w admits at most
 * rate * w (plus `tolerance` and one cost of slack).
 *
 * Why not a token bucket with a burst: providers enforce per-minute limits over short windows, so a
 * full bucket at start (or one that forgets the time it slept) trips them. And since the timeline
 * advances by slots, not by when timers happened to fire, late timers do not lower the rate.
 */
export class Gcra {
  /** Cost units per millisecond. */
  private perMs: number;
  /** Theoretical arrival time: the end of the last admitted slot. */
  private tat = Number.NEGATIVE_INFINITY;

  constructor(
    ratePerSecond: number,
    /** How far a late admission may catch up on missed slots (bounds bursts after a stall). */
    private readonly toleranceMs = 8,
  ) {
    this.perMs = ratePerSecond / 1000;
  }

  get ratePerSecond(): number {
    return this.perMs * 1000;
  }

  set ratePerSecond(rate: number) {
    this.perMs = rate / 1000;
  }

  /** Milliseconds until `cost` may be admitted (0 = now): its whole slot must lie in the past. */
  delay(cost: number, now: number): number {
    if (!Number.isFinite(this.perMs) || this.tat === Number.NEGATIVE_INFINITY) return 0;
    return Math.max(0, this.tat + cost / this.perMs - now);
  }

  /** Records an admission at `now`; call only when `delay(cost, now) === 0`. */
  admit(cost: number, now: number): void {
    if (!Number.isFinite(this.perMs)) return;
    const span = cost / this.perMs;
    // The very first admission starts the timeline at now: no tolerance head start.
    this.tat = this.tat === Number.NEGATIVE_INFINITY ? now : Math.max(this.tat, now - span - this.toleranceMs) + span;
  }

  /**
   * Re-books past admissions (send times, oldest first) at the current rate: the timeline is
   * pushed out to where it would be had they been paced at this rate from the first of them.
   */
  charge(times: readonly number[], now: number): void {
    if (!Number.isFinite(this.perMs) || times.length === 0) return;
    const span = 1 / this.perMs;
    this.tat = Math.max(this.tat, now - this.toleranceMs, times[0]! + (times.length - 1) * span);
  }

  /**
   * Adds (or, if negative, refunds) cost after the fact, e.g. when real token usage is known. No
   * floor here: `admit` already bounds how far an old timeline may catch up.
   */
  adjust(cost: number): void {
    if (!Number.isFinite(this.perMs) || this.tat === Number.NEGATIVE_INFINITY) return;
    this.tat += cost / this.perMs;
  }
}
