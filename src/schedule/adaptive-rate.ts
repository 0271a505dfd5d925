import { TimeWindow } from './time-window.js';

/**
 * Learns a request rate the server accepts from 429s alone (most OpenAI-compatible servers send no
 * rate-limit headers).
 *
 * - Slow start: the rate doubles while requests wait on it and no 429 has been seen.
 * - When 429s come in a burst, the number of requests the server accepted in the second before it
 *   started refusing is taken as its limit L (a direct reading, where halving would crawl or
 *   overshoot), and the rate drops to `decrease` × L. A stray 429 only cuts the rate by `decrease`.
 *   Further 429s within `holdOffMs` belong to the same episode.
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
  /**
   * Slow start doubles the rate this often while requests wait on it. Short: the first 429 ends
   * slow start anyway, and a slow doubling only holds back the second round of requests of a run
   * that its concurrency, not a rate limit, bounds. @default 50
   */
  slowStartMs?: number;
  /** @default 1000 */
  holdOffMs?: number;
  /** @default 0.2 */
  floor?: number;
  /** Fractional increase per second after stray 429s, while no limit has been learned. @default 0.25 */
  recover?: number;
}

/** Far above any API's rate, but finite: a cut from here must still mean something. */
const MAX_RATE = 100_000;

export class AdaptiveRate {
  private current: number;
  private ceilingRate: number;
  private slowStart: boolean;
  private learnedLimit: number | undefined;
  private episodeLearned = false;
  private lastChange: number | undefined;
  private lastCut = Number.NEGATIVE_INFINITY;
  private held = false;
  /** Two seconds of send times: a reading looks at the second before the episode's first refusal. */
  private readonly sent = new TimeWindow(2000);
  private readonly refused = new TimeWindow(1000);
  /** Send time of the earliest request refused in the current episode. */
  private firstRefusedAt = Number.POSITIVE_INFINITY;
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
      slowStartMs: options.slowStartMs ?? 50,
      holdOffMs: options.holdOffMs ?? 1000,
      floor: options.floor ?? 0.2,
      recover: options.recover ?? 0.25,
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
    return this.sent.since(now - 1000);
  }

  /**
   * A 429 for a request sent at `sentAt`. Returns 'learned' when it took a reading of the limit
   * (the caller then pauses everyone for the server's retry-after: the window is full), 'cut' when it
   * only slowed down, 'none' when it belongs to an episode already handled.
   *
   * A burst of refusals (at least 5, and 20 % of the last second's requests) means the pace is over
   * the server's limit, and the requests it accepted in the last second are a reading of that limit,
   * taken once per episode. A stray 429 amid successes (a token bucket's edge, a flaky proxy) only
   * cuts the pace by `decrease`, and the pace recovers quickly; it must not teach a limit.
   */
  noteRateLimited(sentAt: number, now: number): 'learned' | 'cut' | 'none' {
    this.refused.push(sentAt);
    const sent = this.sent.countBetween(now - 1000, Number.POSITIVE_INFINITY);
    const refused = this.refused.count(now);
    const saturated = refused >= 5 && refused >= 0.2 * sent;
    const paced = Math.min(this.current, this.ceilingRate);
    if (now - this.lastCut < this.o.holdOffMs || sentAt < this.lastCut) {
      this.firstRefusedAt = Math.min(this.firstRefusedAt, sentAt);
      if (!saturated || this.episodeLearned) return 'none';
      this.learn(paced);
      return 'learned';
    }
    this.episodeLearned = false;
    this.firstRefusedAt = sentAt;
    this.slowStart = false;
    this.lastCut = now;
    this.lastChange = now;
    this.cuts++;
    if (saturated) {
      this.learn(paced);
      return 'learned';
    }
    this.current = Math.max(this.o.floor, paced * this.o.decrease);
    return 'cut';
  }

  /**
   * The server accepted what was sent in the second before the episode's first refused request
   * (those sent after it are refused or still unanswered: counting them as accepted over-reads the
   * limit by whatever was in flight when the reading is taken, and that more so at a fast pace).
   */
  private learn(paced: number): void {
    const s1 = this.firstRefusedAt;
    let accepted = this.sent.countBetween(s1 - 1000, s1);
    // Refusals arrive out of send order, so the refused window is scanned, not searched.
    for (const t of this.refused.since(Number.NEGATIVE_INFINITY)) if (t > s1 - 1000 && t < s1) accepted--;
    this.learnedLimit = Math.min(paced, Math.max(1, accepted));
    this.current = Math.max(this.o.floor, this.learnedLimit * this.o.decrease);
    this.episodeLearned = true;
  }

  private grow(now: number): void {
    if (this.lastChange === undefined) {
      this.lastChange = now;
      return;
    }
    const elapsed = now - this.lastChange;
    if (this.slowStart) {
      if (elapsed < this.o.slowStartMs) return;
      if (this.held) this.current = Math.min(this.current * 2, MAX_RATE);
    } else {
      if (elapsed < 1000 || this.current >= this.ceilingRate) return;
      if (this.held) {
        if (this.learnedLimit === undefined) {
          this.current = Math.min(this.current * (1 + this.o.recover), MAX_RATE); // only stray 429s so far: no limit to respect
        } else {
          const target = this.learnedLimit * this.o.target;
          this.current =
            this.current < target ? this.current + Math.max(0.1, (target - this.current) / 2) : this.current * (1 + this.o.probe) + 0.05;
        }
      }
    }
    this.held = false;
    this.lastChange = now;
  }
}
