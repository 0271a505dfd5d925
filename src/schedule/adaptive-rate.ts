import { TimeWindow } from './time-window.js';

/**
 * Learns a request rate the server accepts from 429s alone (most OpenAI-compatible servers send no
 * rate-limit headers).
 *
 * - Slow start: the rate doubles while requests wait on it and no 429 has been seen.
 * - On the first 429 of an episode, the number of requests the server accepted in the last second
 *   is taken as its limit L (a direct reading, where halving would crawl or overshoot), and the rate
 *   drops to `decrease` × L. Further 429s within `holdOffMs` belong to the same episode.
 * - Then it climbs back quickly to `target` × L and only then probes beyond it, slowly, in case the
 *   limit rose (additive increase, multiplicative decrease, with memory of the last limit).
 */
export interface AdaptiveRateOptions {
  /** Starting rate (req/s) when nothing is known. */
  initial: number;
  /** Rate ceiling given by the user or learned from headers (req/s); Infinity when unknown. */
  ceiling: number;
  /** @default 0.9 */
  decrease?: number;
  /** Fraction of the learned limit to settle at. @default 0.97 */
  target?: number;
  /** Fractional increase per second once at the target. @default 0.01 */
  probe?: number;
  /** @default 250 */
  slowStartMs?: number;
  /** @default 1000 */
  holdOffMs?: number;
  /** @default 0.2 */
  floor?: number;
  /** The most one episode may cut the pace to, as a fraction of it. @default 0.5 */
  maxCut?: number;
}

export class AdaptiveRate {
  private current: number;
  private ceilingRate: number;
  private slowStart: boolean;
  private learnedLimit: number | undefined;
  private lastChange: number | undefined;
  private lastCut = Number.NEGATIVE_INFINITY;
  private held = false;
  private readonly sent = new TimeWindow(1000);
  private readonly refused = new TimeWindow(1000);
  private readonly o: Required<Omit<AdaptiveRateOptions, 'initial' | 'ceiling'>>;
  /** Episodes of 429s that cut the rate. */
  cuts = 0;

  constructor(options: AdaptiveRateOptions) {
    this.ceilingRate = options.ceiling;
    this.current = Number.isFinite(options.ceiling) ? options.ceiling : options.initial;
    this.slowStart = !Number.isFinite(options.ceiling);
    this.o = {
      decrease: options.decrease ?? 0.9,
      target: options.target ?? 0.97,
      probe: options.probe ?? 0.01,
      slowStartMs: options.slowStartMs ?? 250,
      holdOffMs: options.holdOffMs ?? 1000,
      floor: options.floor ?? 0.2,
      maxCut: options.maxCut ?? 0.5,
    };
  }

  /** The rate to pace at now (req/s). */
  rate(now: number): number {
    this.grow(now);
    return Math.min(this.current, this.ceilingRate);
  }

  /** A ceiling learned from headers or given by the user: the limit is known, slow start ends. */
  setCeiling(rate: number, now: number): void {
    if (rate === this.ceilingRate) return;
    this.ceilingRate = rate;
    if (this.slowStart || this.current > rate) {
      this.slowStart = false;
      this.current = rate;
      this.lastChange = now;
    }
  }

  /** Requests were waiting on the pacer: only then is a higher rate of any use. */
  noteHeld(): void {
    this.held = true;
  }

  noteSent(now: number): void {
    this.sent.push(now);
  }

  /** Send times within the last second, oldest first. */
  recentSends(now: number): readonly number[] {
    return this.sent.entries(now);
  }

  /** A 429 for a request sent at `sentAt`. Returns true when it opened a new episode (and cut the rate). */
  noteRateLimited(sentAt: number, now: number): boolean {
    this.refused.push(sentAt);
    if (now - this.lastCut < this.o.holdOffMs || sentAt < this.lastCut) return false;
    const accepted = Math.max(1, this.sent.count(now) - this.refused.count(now));
    const paced = Math.min(this.current, this.ceilingRate);
    // Early in a run, or after a lull, the last second holds few requests and says little about the
    // limit: one episode never cuts below half the pace (the retry-after pause covers the rest).
    this.learnedLimit = Math.max(paced * this.o.maxCut, Math.min(paced, accepted));
    this.current = Math.max(this.o.floor, this.learnedLimit * this.o.decrease);
    this.slowStart = false;
    this.lastCut = now;
    this.lastChange = now;
    this.cuts++;
    return true;
  }

  private grow(now: number): void {
    if (this.lastChange === undefined) {
      this.lastChange = now;
      return;
    }
    const elapsed = now - this.lastChange;
    if (this.slowStart) {
      if (elapsed < this.o.slowStartMs) return;
      if (this.held) this.current *= 2;
    } else {
      if (elapsed < 1000 || this.current >= this.ceilingRate) return;
      if (this.held) {
        const target = (this.learnedLimit ?? this.current) * this.o.target;
        this.current =
          this.current < target ? this.current + Math.max(0.1, (target - this.current) / 2) : this.current * (1 + this.o.probe) + 0.05;
      }
    }
    this.held = false;
    this.lastChange = now;
  }
}
