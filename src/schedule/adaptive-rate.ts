import { TimeWindow } from './time-window.js';

/**
 * Learns a request rate the server accepts from 429s alone (most OpenAI-compatible servers send no
 * rate-limit headers).
 *
 * - Slow start: the rate doubles while requests wait on it, until a limit is read or known. A
 *   stray 429 cuts it and slow start goes on: it starts from a guess (4 a second a slot), and a
 *   429 on the first request left a run at -c 1 to climb 25 % a second from 3.6 a second (20
 *   prompts of 50 ms: 4.0 s where 1.3 s without it).
 * - When 429s come in a burst, the number of requests the server accepted in the second before it
 *   started refusing is taken as its limit L (a direct reading, where halving would crawl or
 *   overshoot), and the rate drops to `decrease` × L. A stray 429 only cuts the rate by `decrease`,
 *   unless 429s are a steady share of the requests since the last reading, as at a slow pace, where
 *   no second holds a burst: L is then what the server accepted over those requests' time.
 *   Further 429s within `holdOffMs` belong to the same episode.
 * - After a second without one it climbs back to `target` × L, and only then probes beyond it in
 *   case the limit rose or L was misread, by a step that doubles each time a second and QUIET_SENDS
 *   requests at the pace pass without a 429 (multiplicative decrease, with memory of the last
 *   limit). A burst that was no rate limit (an upstream's hiccup, a proxy) reads as a limit of
 *   whatever the run sent before it; probing 1 % a second, 2,000 prompts after a 300 ms hiccup took
 *   38 s at -c 20 where they take 6.
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
  /** First fractional increase once at the target; it doubles at each step (see QUIET_SENDS). @default 0.02 */
  probe?: number;
  /** The probe's largest step a second: at most doubling, as slow start does. @default 1 */
  maxProbe?: number;
  /**
   * Slow start doubles the rate this often while requests wait on it. Short: a limit's burst of
   * 429s ends slow start anyway, and a slow doubling only holds back the second round of requests
   * of a run that its concurrency, not a rate limit, bounds. @default 50
   */
  slowStartMs?: number;
  /** @default 1000 */
  holdOffMs?: number;
  /** @default 0.2 */
  floor?: number;
  /** Fractional increase per second after stray 429s, while no limit has been learned. @default 0.25 */
  recover?: number;
}

/** Stray 429s this share of a few seconds' requests or more are a limit's, not chance's (see noteRateLimited). */
const STEADY_SHARE = 0.02;

/**
 * Requests sent without a 429 since the pace last rose, besides a second's time, before it probes
 * higher. A second is one request at 60 a minute: against a server taking 60 a minute (no rate
 * headers), each quiet second raised the pace over the limit again, and every other request was
 * refused to the end of the run (25 of 30 prompts ok, 28 × 429). Above 10 a second, the second rules.
 * Not once the 429s are found not to follow the pace (`deaf`): ten in a row without one may never
 * come at a flaky proxy's 30 %.
 */
const QUIET_SENDS = 10;

/**
 * Refusals at least this share of the requests sent since the last reading (and at least two) are
 * a limit's, however few a second: the pace is read from what the server accepted meanwhile. A
 * burst's reading needs 5 refusals within a second, which a pace of 1 a second never gives; cut 10 %
 * per 429 instead, and raised again by each quiet second, the pace never came down to a server's 20
 * a minute (10 prompts at -c 4, on virtual time: 4 failed rate_limit, 23 × 429).
 */
const SLOW_SHARE = 0.25;

/** Requests a slow reading counts at least (see SLOW_SHARE), and the sends kept for it however old. */
const SLOW_READING_MIN = 4;
const SLOW_READING_SENDS = 16;

/**
 * A stretch without a 429 after which 429s that did not follow the pace are taken to be over (the
 * proxy mended, the upstream back): the next ones may be a limit's, read as such (see `deaf`).
 */
const DEAF_FOR_MS = 60_000;

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
  /** The next probe's step: `probe` after a cut, doubling each second the pace rises without one. */
  private probeStep: number;
  /** When the last 429 came, of any episode: 429s within a holdoff, or too few for a cut, are 429s too. */
  private lastRefusedAt = Number.NEGATIVE_INFINITY;
  /**
   * The last slow reading: the limit it read; the learned limit and pace before the first of the
   * readings it follows on, and whether it was taken under one (see noteRateLimited).
   */
  private slowReading: { limit: number; learnedBefore: number | undefined; paceBefore: number; under: boolean } | undefined;
  /**
   * 429s came as often under a slow reading as over it: they do not follow the pace, and teach
   * nothing slow, until DEAF_FOR_MS passes without one.
   */
  private deaf = false;
  /** Sends from this time on count for a slow reading: earlier ones' 429s were read already. */
  private readingSince = Number.NEGATIVE_INFINITY;
  /** Requests sent since the last 429 or the last probe up (see QUIET_SENDS). */
  private quietSends = 0;
  /**
   * Send and refusal times, kept long enough for a reading of the second before an episode's first
   * refusal, taken up to `holdOffMs` (and a slow 429's round trip) later.
   */
  private readonly historyMs: number;
  private readonly sent: TimeWindow;
  /** Send times of refused requests, in arrival order (not send order): few, so scanned. */
  private refused: number[] = [];
  /** Send time of the earliest refused request of the current burst (+Infinity: none yet). */
  private firstRefusedAt = Number.POSITIVE_INFINITY;
  private readonly o: Required<Omit<AdaptiveRateOptions, 'initial' | 'ceiling'>>;
  private readonly initial: number;
  /** Episodes of 429s that cut the rate. */
  cuts = 0;

  constructor(options: AdaptiveRateOptions) {
    this.initial = options.initial;
    this.ceilingRate = options.ceiling;
    this.current = Number.isFinite(options.ceiling) ? options.ceiling : options.initial;
    this.slowStart = !Number.isFinite(options.ceiling);
    this.o = {
      decrease: options.decrease ?? 0.9,
      target: options.target ?? 0.97,
      probe: options.probe ?? 0.02,
      maxProbe: options.maxProbe ?? 1,
      slowStartMs: options.slowStartMs ?? 50,
      holdOffMs: options.holdOffMs ?? 1000,
      floor: options.floor ?? 0.2,
      recover: options.recover ?? 0.25,
    };
    this.probeStep = this.o.probe;
    this.historyMs = 2000 + this.o.holdOffMs;
    this.sent = new TimeWindow(this.historyMs, SLOW_READING_SENDS);
  }

  /** The rate to pace at now (req/s). */
  rate(now: number): number {
    this.grow(now);
    return Math.min(this.current, this.ceilingRate);
  }

  /**
   * Whether 429s have cut the pace below its ceiling (the user's --rpm, the server's announced
   * limit): what holds requests back is then the refusals, not a pace chosen or announced. Reads
   * state only (rate() grows it), for the progress display.
   */
  cutBelowCeiling(): boolean {
    return this.cuts > 0 && this.current < this.ceilingRate;
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
    this.quietSends++;
  }

  /**
   * Send times within the last second, oldest first, less those refused: a refused request is not
   * in the server's window, and charged again at a rate read as 1 a second, the 4 refused of a
   * first wave of 5 held the run 6 s.
   */
  recentSends(now: number): readonly number[] {
    const sends = this.sent.since(now - 1000);
    const refused = this.refused.filter((t) => t > now - 1000);
    if (refused.length === 0) return sends;
    refused.sort((a, b) => a - b);
    const kept: number[] = [];
    let r = 0;
    for (const t of sends) {
      while (r < refused.length && refused[r]! < t) r++;
      if (r < refused.length && refused[r] === t) r++;
      else kept.push(t);
    }
    return kept;
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
    const horizon = Math.min(now - this.historyMs, this.sent.oldest() ?? now);
    this.refused = this.refused.filter((t) => t >= horizon);
    this.refused.push(sentAt);
    this.lastRefusedAt = now;
    this.quietSends = 0;
    const sent = this.sent.countBetween(now - 1000, Number.POSITIVE_INFINITY);
    const refused = this.refusedBetween(now - 1000, Number.POSITIVE_INFINITY);
    const lastSecond = sent - refused;
    const saturated = refused >= 5 && refused >= 0.2 * sent;
    const paced = Math.min(this.current, this.ceilingRate);
    // Only a refusal of a recent request marks where the burst began: a slow 429 for a request
    // sent long before would date it back to seconds the server accepted.
    const recent = sentAt > now - 1000;
    if (now - this.lastCut < this.o.holdOffMs || sentAt < this.lastCut) {
      if (recent) this.firstRefusedAt = Math.min(this.firstRefusedAt, sentAt);
      if (!saturated || this.episodeLearned) return 'none';
      this.learn(paced, lastSecond);
      return 'learned';
    }
    this.episodeLearned = false;
    this.firstRefusedAt = recent ? sentAt : Number.POSITIVE_INFINITY;
    this.probeStep = this.o.probe;
    this.lastCut = now;
    this.lastChange = now;
    this.cuts++;
    if (saturated) {
      this.learn(paced, lastSecond);
      return 'learned';
    }
    // Too few 429s a second for a burst, but a steady share of the requests (see SLOW_SHARE): the
    // limit is what the server accepted over those requests' time. It may read low (at 1.27 a second
    // against 1 in any second, every other request was refused: 0.64 accepted); the probe recovers.
    const from = Math.max(horizon, this.readingSince);
    const sentLately = this.sent.countBetween(from - 1, Number.POSITIVE_INFINITY);
    const refusedLately = this.refusedBetween(from - 1, Number.POSITIVE_INFINITY);
    if (!this.deaf && sentLately >= SLOW_READING_MIN && refusedLately >= 2 && refusedLately >= SLOW_SHARE * sentLately) {
      const last = this.slowReading;
      // Refused as often at or under what the last reading read: that reading read high (a window
      // longer than the seconds read, a run's first seconds), or the 429s do not follow the pace (a
      // flaky proxy's, 30 % of requests: a reading each few requests sank the pace to its floor,
      // 100 prompts at -c 1 in 9 minutes where 21 s before). Once, read again; twice in a row, the
      // readings were the 429s' own: taken back, and no more such readings (stray 429s from here
      // on, as before them).
      const under = last !== undefined && paced <= last.limit;
      if (under && last.under) {
        this.deaf = true;
        this.slowReading = undefined;
        this.learnedLimit = last.learnedBefore;
        this.current = Math.max(this.o.floor, last.paceBefore * this.o.decrease);
        return 'cut';
      }
      // Over the time they were sent in, from one send's interval before the first of them: a run's
      // first reading spread over the seconds before it began read 0.65 a second against 1 (--rpm
      // 120); one spread over a pause before them (a reading's own hold, a retry-after) read 0.25
      // where 1.4 were taken. From the first send itself, 2 taken in 3.1 s against 1 in any 3 s
      // read 0.65, and the 429s under it were taken for a flaky proxy's.
      const first = this.sent.since(from - 1)[0] ?? from;
      const start = Math.max(from, first - (now - first) / Math.max(1, sentLately - 1));
      const accepted = ((sentLately - refusedLately) * 1000) / Math.max(1000, now - start);
      this.readingSince = now + this.o.holdOffMs;
      this.episodeLearned = true;
      const before = under ? last : { learnedBefore: this.learnedLimit, paceBefore: paced };
      const limit = this.takeLimit(Math.max(this.o.floor, Math.min(paced, accepted)));
      this.slowReading = { limit, learnedBefore: before.learnedBefore, paceBefore: before.paceBefore, under };
      return 'learned';
    }
    // Settled at a pace the run was held to (--rpm, an announced limit) or had learned, and refused
    // steadily (STEADY_SHARE of the last seconds' requests), the pace is above what the server takes:
    // it stands as the limit, and the pace climbs back to just under it, then probes. Climbing back
    // to the ceiling instead, --rpm 9000 against a server taking 100 a second (429s with
    // retry-after-ms, each a pause for everyone, none a burst) refused 7 % of requests to the end of
    // the run. Fewer 429s may come whatever the pace (a flaky proxy): lowering it would not stop
    // them, and at each one the limit sank 3 %. One while the pace is still climbing back after a
    // cut says nothing new (the burst that follows may be another job's).
    const steady = this.refusedBetween(now - this.historyMs, Number.POSITIVE_INFINITY);
    const settled = paced >= (this.learnedLimit ?? this.ceilingRate) * this.o.target;
    if (settled && steady >= Math.max(3, STEADY_SHARE * this.sent.countBetween(now - this.historyMs, Number.POSITIVE_INFINITY))) {
      this.learnedLimit = Math.min(this.learnedLimit ?? paced, paced);
    }
    this.current = Math.max(this.o.floor, paced * this.o.decrease);
    return 'cut';
  }

  /**
   * The limit is what the server accepted in the second before the burst's first refused request:
   * those sent after it are refused or still unanswered, and counting them as accepted over-reads the
   * limit by whatever is in flight when the reading is taken (in a run's first second, 8 requests at
   * once all refused read as a limit of 3). Sends are kept longer than that second goes back. Without
   * a recent refused request to date the burst from, the reading is the last second's sends less its
   * refusals, as a sliding-window server counts them.
   */
  private learn(paced: number, lastSecond: number): void {
    // The episode's 429s, its holdoff's among them, are read: a slow reading counts from after them.
    this.readingSince = this.lastCut + this.o.holdOffMs;
    const s1 = this.firstRefusedAt;
    const accepted = Number.isFinite(s1) ? this.sent.countBetween(s1 - 1000, s1) - this.refusedBetween(s1 - 1000, s1) : lastSecond;
    this.episodeLearned = true;
    if (accepted <= 0) {
      // Nothing accepted before the burst: the server's window was full before these requests (an
      // earlier run's, another job's), which says nothing of its limit; taken as a limit of 1 a
      // second, the run crawled on long after the window emptied. The caller waits the server's
      // retry-after; then the pace starts again as it began, or at a limit learned before.
      this.current = this.learnedLimit === undefined ? Math.min(paced, this.initial) : this.learnedLimit * this.o.decrease;
      this.slowStart = this.learnedLimit === undefined;
      return;
    }
    this.takeLimit(Math.min(paced, accepted));
  }

  /** A limit read, a burst's or a slow one: slow start ends, and the pace drops under it. Returns it. */
  private takeLimit(limit: number): number {
    this.learnedLimit = limit;
    this.slowStart = false;
    this.current = Math.max(this.o.floor, limit * this.o.decrease);
    return limit;
  }

  /** Refusals of requests sent in the open interval (from, to). */
  private refusedBetween(from: number, to: number): number {
    let n = 0;
    for (const t of this.refused) if (t > from && t < to) n++;
    return n;
  }

  private grow(now: number): void {
    if (this.deaf && now - this.lastRefusedAt >= DEAF_FOR_MS) this.deaf = false;
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
          // Halfway each second (at least 0.1) took 5 s from 0.9 × 8 to 0.97 × 8 a second.
          if (this.current < target) this.current = target;
          else if (now - this.lastRefusedAt >= 1000 && (this.deaf || this.quietSends >= QUIET_SENDS)) {
            // A second at this pace (and QUIET_SENDS requests) without a 429: the server takes at
            // least this much. (One with 429s too few to cut, or inside a cut's holdoff, lifted the
            // limit to a pace refused.)
            this.learnedLimit = Math.max(this.learnedLimit, this.current);
            this.current = Math.min(this.current * (1 + this.probeStep) + 0.05, MAX_RATE);
            this.probeStep = Math.min(this.probeStep * 2, this.o.maxProbe);
            this.quietSends = 0;
          }
        }
      }
    }
    this.held = false;
    this.lastChange = now;
  }
}
