import { AdaptiveRate } from './adaptive-rate.js';
import { AnswerLengthEstimate } from './answer-length-estimate.js';
import type { Clock } from '../util/clock.js';
import { Gcra } from './gcra.js';
import { LONGEST_WAIT_MS, pastLongestWait } from './longest-wait.js';
import type { RateLimitHeaders, RetryAfter } from './rate-headers.js';
import { WindowBudget } from './window-budget.js';

const FIRST_REQUEST_SLACK_MS = 15;

/** RateGovernorOptions.earlyMs on the system clock: 0.4 % of a second, less than the safety margin's 2 %. */
const EARLY_MS = 4;

/** The window a tokens-per-minute limit is counted over, as the provider counts it. */
const TOKEN_WINDOW_MS = 60_000;

/**
 * How much longer than the provider's minute a token charge is kept: the provider counts arrivals,
 * and a request that reached it later than the next one did (a connection being set up, a busy
 * event loop) must still be in our window when that one leaves. Costs at most 1/61 of the budget,
 * and only when the pace alone would fill the window.
 */
const ARRIVAL_SLACK_MS = 1_000;

/**
 * The longest pause an `x-ratelimit-remaining-*: 0` header's reset imposes on everyone. Per-minute
 * limits reset within a minute; a longer reset is a misread (a Unix time taken for seconds waited
 * decades) or a daily limit, and is ignored: pacing and 429s handle what follows.
 */
export const MAX_HEADER_PAUSE_MS = LONGEST_WAIT_MS;

export interface RateGovernorOptions {
  /** Requests per minute cap given by the user. */
  rpm?: number;
  /** Tokens per minute cap given by the user. */
  tpm?: number;
  clock: Clock;
  /**
   * Fraction of a cap actually used. A provider counts arrivals, which jitter by a few ms after our
   * admissions; 2 % keeps any 1 s window under the cap with ~20 ms of jitter to spare.
   * @default 0.98
   */
  safety?: number;
  /**
   * Starting rate (req/s) when no cap is known, after the first wave; slow start doubles it while
   * requests wait on it. Finite on purpose: once answers come back and free slots, a paced start
   * gets a 429 back before many more requests leave, where unpaced slots would collect a 429 for
   * every request over the limit.
   * @default 32
   */
  initialRate?: number;
  /**
   * While no limit is known, the first `firstWave` requests (one per concurrency slot) leave at
   * `firstWave / firstWaveMs` per second instead of the slow-start pace: filling the slots slowly
   * delays every slot's whole chain of requests, and `concurrency` requests are as many as
   * the slow start would send before the first answer anyway. Slow start applies after them.
   * @default 0 (no first wave)
   */
  firstWave?: number;
  /** @default 100 */
  firstWaveMs?: number;
  /** A coarse `retry-after` at least this long pauses everyone even mid-episode. @default 5000 */
  coarsePauseMs?: number;
  /**
   * How early a paced request may leave, so that the requests due within it share one wake-up of
   * the event loop: a request let out alone woke the loop two or three times (a 2.04 ms wait slept
   * 1-2 ms, then again for the rest), and its answer later woke it alone again (issue 16: 3,000
   * requests paced at 441 a second, 12,600 wake-ups against 2,900 unpaced). Each keeps its slot on
   * the schedule, so the pace holds; any window holds at most this much more of it, inside the
   * jitter the safety margin is for.
   * @default EARLY_MS (4) with a clock whose sleeps are not exact (the system clock's), else 0
   */
  earlyMs?: number;
  /**
   * Answer tokens charged for a request without max_tokens until answers say how long they run
   * (see AnswerLengthEstimate). @default 256
   */
  answerTokens?: number;
}

/** Why admissions are being held back right now (for the terminal UI). */
export interface GovernorState {
  /** Requests per second being paced at; Infinity when unpaced. */
  rate: number;
  tokenRate: number | undefined;
  pausedForMs: number;
  waiting: number;
  cuts: number;
}

/**
 * A request's token cost, or a function giving it at admission: a request that waited behind others
 * is charged what is known when it leaves (the answer length learned meanwhile), not when it queued.
 */
export type TokenCost = number | (() => number);

const price = (cost: TokenCost): number => Math.max(0, typeof cost === 'function' ? cost() : cost);

/**
 * The pause a used-up limit (remaining 0) asks for: until `units` (one request, or a request's
 * tokens) are free again, `units` minutes / `perMinute`, at most its reset. OpenAI's reset is the
 * time until the whole limit is back ("resets to its initial state": about 60 s at 0 of 120 RPM)
 * while the next request is allowed in 0.5 s; waiting out the reset stopped the run for a minute.
 * Without a known limit or units, the reset; nothing when the reset is unreadable or past
 * MAX_HEADER_PAUSE_MS.
 */
function usedUp(remaining: number | undefined, resetMs: number | undefined, perMinute: number | undefined, units: number): number | undefined {
  if (remaining === undefined || remaining > 0 || resetMs === undefined || !(resetMs <= MAX_HEADER_PAUSE_MS)) return undefined;
  if (!perMinute || !(perMinute > 0) || !(units > 0)) return resetMs;
  return Math.min(resetMs, (units * 60_000) / perMinute);
}

interface Waiter {
  cost: TokenCost;
  resolve: (sentAt: number) => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
}

/**
 * Admits requests at a pace that does not trip the provider: a request-rate schedule, a token-rate
 * schedule, and a pause that a 429 or an exhausted `remaining` header imposes on everyone.
 * Admissions are first-come first-served, so a large request is not starved by small ones.
 */
export class RateGovernor {
  private readonly clock: Clock;
  private readonly safety: number;
  private readonly coarsePauseMs: number;
  private readonly requests: Gcra;
  /** Paces the first wave; undefined once it is out (or when a limit is known from the start). */
  private firstWave: { pace: Gcra; left: number } | undefined;
  /** The request rate the server's headers announced, with the safety margin. */
  private learnedRps: number | undefined;
  private tokens: Gcra | undefined;
  private tokenWindow: WindowBudget | undefined;
  private started = false;
  private readonly adaptive: AdaptiveRate;
  private readonly answerLength: AnswerLengthEstimate;
  private readonly userRps: number;
  /** The user's --tpm, as given (no margin). */
  private readonly userTpm: number | undefined;
  /**
   * The limits the server announced for each model, as given (no margin): OpenAI's and Groq's
   * limits and headers are per model, so one model's limit says nothing of another's. The pace
   * follows the tightest of them (a gateway's limit may be shared by all its models).
   */
  private readonly learned = new Map<string, { requests?: number; tokens?: number }>();
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private readonly waiters: Waiter[] = [];
  /** See RateGovernorOptions.earlyMs. */
  private readonly earlyMs: number;
  /** Whether a sleep is rounded up to whole milliseconds, as the clock's timers count them. */
  private readonly wholeMs: boolean;
  private pumping = false;
  /** When the first waiting request may leave, as the pump last reckoned it before it slept. */
  private heldUntil = Number.NEGATIVE_INFINITY;
  /**
   * Whether that hold is the refusals' doing: a pause, or the request pace 429s cut below its
   * ceiling, holding longer than the tokens do. Held by the user's own --rpm or --tpm, or a pace the
   * server announced, the bar's ETA and its "pacing to N/min" say so: no "rate limited".
   */
  private heldByRefusals = false;
  private wakeUp: AbortController | undefined;
  /**
   * The signals a listener of this governor's is on: one for all the waiters that share a signal
   * (every request of a run shares its stop signal), not one each to add and remove (issue 16).
   */
  private readonly watched = new WeakSet<AbortSignal>();

  constructor(options: RateGovernorOptions) {
    this.clock = options.clock;
    this.wholeMs = (options.clock.granularityMs ?? 0) > 0;
    this.earlyMs = options.earlyMs ?? (this.wholeMs ? EARLY_MS : 0);
    this.safety = options.safety ?? 0.98;
    this.coarsePauseMs = options.coarsePauseMs ?? 5000;
    this.userRps = options.rpm ? (options.rpm / 60) * this.safety : Number.POSITIVE_INFINITY;
    this.userTpm = options.tpm || undefined;
    this.answerLength = new AnswerLengthEstimate(options.answerTokens ?? 256);
    this.adaptive = new AdaptiveRate({ initial: options.initialRate ?? 32, ceiling: this.userRps });
    this.requests = new Gcra(this.adaptive.rate(this.clock.now()));
    const firstWave = Math.floor(options.firstWave ?? 0);
    if (firstWave > 0 && !Number.isFinite(this.userRps)) {
      this.firstWave = { pace: new Gcra((firstWave * 1000) / (options.firstWaveMs ?? 100)), left: firstWave };
    }
    if (this.userTpm !== undefined) this.setTokenLimit(this.userTpm);
  }

  /** True when token costs matter (a TPM cap is given or was learned), so callers estimate them. */
  get countsTokens(): boolean {
    return this.tokens !== undefined;
  }

  /**
   * The tokens a minute allows a request to `model`, and whose limit that is, when one is known: the
   * user's --tpm, or the limit the server announced in that model's own responses. A request
   * estimated above it can never be sent within the cap (OpenAI refuses one above its limit:
   * "Request too large"); waiting for it would hold everyone queued behind it for minutes.
   */
  tokenLimit(model = ''): { perMinute: number; source: 'tpm' | 'server' } | undefined {
    const user = this.userTpm;
    const server = this.learned.get(model)?.tokens;
    if (server !== undefined && (user === undefined || server < user)) return { perMinute: server, source: 'server' };
    return user === undefined ? undefined : { perMinute: user, source: 'tpm' };
  }

  /**
   * Tokens a request may be charged while the token pace can never hold it back: half the paced
   * tokens a second over the most requests a second the request pace lets out, once both limits are
   * known (the request limit at 60 a minute or more). Charged no more than that, requests leave at
   * the request pace alone, so such a request need not be counted exactly: an upper bound prices it
   * the same (a 30,000 RPM, 150M TPM account has room for 2,450 tokens a request). Undefined
   * otherwise.
   */
  tokenRoom(): number | undefined {
    if (!this.tokens) return undefined;
    const rps = Math.min(this.userRps, this.learnedRps ?? Number.POSITIVE_INFINITY);
    return rps >= 1 && Number.isFinite(rps) ? this.tokens.ratePerSecond / rps / 2 : undefined;
  }

  /**
   * The tokens a minute the pace allows (the least of --tpm and every model's announced limit), when
   * one is known: no request is charged more, so none waits longer than a whole minute's tokens.
   */
  pacedTokensPerMinute(): number | undefined {
    return this.tokenWindow?.capacity;
  }

  /** Answer tokens to charge a request sent without max_tokens: learned from the answers so far. */
  answerTokens(): number {
    return this.answerLength.current();
  }

  state(): GovernorState {
    const now = this.clock.now();
    return {
      rate: this.adaptive.rate(now),
      tokenRate: this.tokens?.ratePerSecond,
      pausedForMs: Math.max(0, this.pausedUntil - now),
      waiting: this.waiters.length,
      cuts: this.adaptive.cuts,
    };
  }

  /**
   * While requests wait on the request pace the server announced (x-ratelimit-limit-requests), that
   * pace per minute; while they wait on its token pace, the requests a minute that allows (`byTokens`);
   * else undefined. Reads state only: `state()` advances the adaptive rate's clock.
   */
  serverPacePerMinute(): { perMinute: number; byTokens?: true } | undefined {
    const first = this.waiters[0];
    if (!first) return undefined;
    const now = this.clock.now();
    const cost = price(first.cost);
    if (this.tokenWait(cost, now) > this.requests.delay(1, now)) {
      // Held by the tokens a minute the server announced (x-ratelimit-limit-tokens), not the user's
      // --tpm: the requests a minute that allows at this request's charge. The request pace may
      // allow 588 a minute while 3,000 tokens a minute let out 11 requests of 265.
      const server = this.tightest('tokens');
      if (!this.tokens || cost <= 0 || !Number.isFinite(server) || (this.userTpm !== undefined && this.userTpm <= server)) return undefined;
      return { perMinute: (this.tokens.ratePerSecond / cost) * 60, byTokens: true };
    }
    if (this.learnedRps === undefined || this.learnedRps >= this.userRps) return undefined;
    const rate = this.requests.ratePerSecond;
    return Number.isFinite(rate) ? { perMinute: rate * 60 } : undefined;
  }

  /**
   * How long the first waiting request is still held back (0 when none waits): by a pause or by the
   * pace, which after a burst of 429s re-books the last second's requests the server took at the rate
   * it learned and may hold the next one for seconds. Reads state only, for the progress display.
   */
  heldForMs(): number {
    return this.waiters.length > 0 && this.heldByRefusals ? Math.max(0, this.heldUntil - this.clock.now()) : 0;
  }

  /**
   * Admits a request of `cost` tokens at once when nobody waits and no wait is due, as the pump
   * would, and returns the admission time; else undefined (then `acquire`). No promise, no waiter,
   * no listener (issue 16: this runs for every request). The first wave and the first request
   * keep the pump's way (its pacing and its late start).
   */
  admitNow(cost: TokenCost): number | undefined {
    if (this.waiters.length > 0 || this.pumping || this.firstWave || !this.started) return undefined;
    const now = this.clock.now();
    const tokens = price(cost);
    const wait = this.delayFor(tokens, now);
    if (wait.delay > this.earlyMs) return undefined;
    this.noteHeld(wait, undefined);
    this.admit(tokens, now, undefined);
    return now;
  }

  /**
   * Waits for a turn to send a request of `cost` tokens; resolves with the admission time. `first`:
   * ahead of those waiting (a request sent again without a field the server refused, whose answer
   * says how the rest are sent).
   */
  acquire(cost: TokenCost, signal?: AbortSignal, first = false): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.admitNow(cost);
    if (now !== undefined) return Promise.resolve(now);
    if (signal && !this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.dropWaiters(signal), { once: true });
    }
    return new Promise<number>((resolve, reject) => {
      const waiter = { cost, resolve, reject, signal };
      if (first) this.waiters.unshift(waiter);
      else this.waiters.push(waiter);
      void this.pump();
    });
  }

  /** Rejects, with its reason, every waiter whose signal aborted. */
  private dropWaiters(signal: AbortSignal): void {
    let kept = 0;
    for (const waiter of this.waiters) {
      if (waiter.signal === signal) waiter.reject(signal.reason);
      else this.waiters[kept++] = waiter;
    }
    this.waiters.length = kept;
    this.poke();
  }

  /**
   * A successful response: learn from its headers and settle the token estimate. `answerTokens` is
   * the answer's completion_tokens when the request set no max_tokens. The charge made at admission
   * stands: OpenAI (and the mock) count a request when it arrives, from its prompt and max_tokens,
   * and give nothing back for a shorter answer; refunding it let requests out faster than the
   * provider's minute allowed. Usage above the charge (a prompt the estimate undercounted) is added.
   * Returns how long everyone now waits when the headers said a limit is used up (remaining 0),
   * else undefined, for the progress display.
   */
  onResponse(info: { estimatedTokens: number; actualTokens?: number; answerTokens?: number; headers?: RateLimitHeaders; model?: string }): number | undefined {
    const now = this.clock.now();
    const excess = info.actualTokens === undefined ? 0 : info.actualTokens - info.estimatedTokens;
    if (this.tokens && excess > 0) {
      this.tokens.adjust(excess);
      this.tokenWindow?.admit(excess, now);
    }
    if (info.answerTokens !== undefined) this.answerLength.observe(info.answerTokens);
    if (!info.headers) return undefined;
    this.learn(info.headers, now, info.model);
    // Not counted in tokens when it left (no limit known yet): what its answer says it used.
    const pause = this.usedUpPause(info.headers, info.estimatedTokens || (info.actualTokens ?? 0), info.model);
    if (pause === undefined) return undefined;
    this.pauseUntil(now + pause);
    return this.pausedUntil > now ? this.pausedUntil - now : undefined;
  }

  /**
   * A 429 for one request larger than a minute's tokens ("Request too large"): no sign of the pace,
   * so no pause of its own and nothing for the adaptive rate; its headers still tell the limits.
   */
  onTooLarge(headers: RateLimitHeaders, model?: string): void {
    const now = this.clock.now();
    this.learn(headers, now, model);
    const pause = this.usedUpPause(headers, 0, model);
    if (pause !== undefined) this.pauseUntil(now + pause);
    this.poke();
  }

  /**
   * A 429 (not quota). Cuts the rate for everyone and honours the server's wait, unless it is past
   * LONGEST_WAIT_MS (the engine stops the run on such a 429: nobody is paused for it). `cost`: the
   * tokens the refused request was charged, for a used-up token limit's pause.
   */
  onRateLimited(info: { sentAt: number; retryAfter?: RetryAfter; headers?: RateLimitHeaders; model?: string; cost?: number }): void {
    const now = this.clock.now();
    if (info.headers) this.learn(info.headers, now, info.model);
    const usedUpMs = info.headers ? this.usedUpPause(info.headers, info.cost ?? 0, info.model) : undefined;
    // Unless the request limit refused it (remaining-requests 0), a 429 under a token budget may
    // mean the server charges more for an unset max_tokens than answers use: back to the guess.
    if (this.tokens && this.answerLength.inUse && info.headers?.remainingRequests !== 0) this.answerLength.distrust();
    this.firstWave = undefined;
    const verdict = this.adaptive.noteRateLimited(info.sentAt, now);
    // A burst of 429s means the server's window is full: everyone waits the server's retry-after,
    // or more requests would only collect 429s. A stray 429 only pauses everyone when the wait is
    // long (a quota window), or precise (retry-after-ms) and the first of its second (the one that
    // cut the pace), not for a rounded-up `retry-after: 1`: a proxy refusing 10 % at random with
    // `retry-after-ms: 200` held 16 slots to a wave each 250 ms (1,000 prompts of 50 ms: 12.8 s).
    // A used-up limit (remaining 0) pauses everyone for the 429's own wait when it gives one.
    const wait = info.retryAfter;
    if (
      wait &&
      !pastLongestWait(wait.ms) &&
      (usedUpMs !== undefined || verdict === 'learned' || (wait.precise && verdict === 'cut') || wait.ms >= this.coarsePauseMs)
    ) {
      this.pauseUntil(now + wait.ms);
    } else if (!wait && usedUpMs !== undefined) {
      this.pauseUntil(now + usedUpMs);
    }
    this.poke();
  }

  /**
   * How long a used-up limit in `h` (remaining 0) pauses everyone, if one is: until one request, or
   * `tokens` (the tokens of the request it answered; 0 when unknown), is free again under the limit
   * `model` announced (see usedUp).
   */
  private usedUpPause(h: RateLimitHeaders, tokens: number, model = ''): number | undefined {
    const limits = this.learned.get(model);
    const requests = usedUp(h.remainingRequests, h.resetRequestsMs, h.limitRequests ?? limits?.requests, 1);
    const forTokens = usedUp(h.remainingTokens, h.resetTokensMs, h.limitTokens ?? limits?.tokens, tokens);
    if (requests === undefined) return forTokens;
    return forTokens === undefined ? requests : Math.max(requests, forTokens);
  }

  /**
   * Learns the limits the headers of a response from `model` announce. One pace for all models, at
   * the tightest limit any of them announced.
   */
  private learn(h: RateLimitHeaders, now: number, model = ''): void {
    const limits = this.learned.get(model) ?? {};
    this.learned.set(model, limits);
    if (h.limitRequests && h.limitRequests > 0) {
      limits.requests = h.limitRequests;
      this.firstWave = undefined;
      this.learnedRps = (this.tightest('requests') / 60) * this.safety;
      this.adaptive.setCeiling(Math.min(this.userRps, this.learnedRps), now);
    }
    if (h.limitTokens && h.limitTokens > 0) {
      limits.tokens = h.limitTokens;
      this.setTokenLimit(Math.min(this.userTpm ?? Number.POSITIVE_INFINITY, this.tightest('tokens')));
    }
  }

  /** The least limit of this kind any model announced (Infinity when none did). */
  private tightest(kind: 'requests' | 'tokens'): number {
    let least = Number.POSITIVE_INFINITY;
    for (const limits of this.learned.values()) least = Math.min(least, limits[kind] ?? Number.POSITIVE_INFINITY);
    return least;
  }

  /**
   * When the rate drops, the requests of the last second (those not refused) are charged again at
   * the new rate: a start at a guessed rate must not leave more in the server's window than the
   * learned limit allows.
   */
  private setRate(rate: number, now: number): void {
    const previous = this.requests.ratePerSecond;
    this.requests.ratePerSecond = rate;
    if (rate < previous) this.requests.charge(this.adaptive.recentSends(now), now);
  }

  /**
   * Token pacing for a limit of `perMinute`: a smooth pace at the safety margin, each request
   * waiting its own cost's share of time before it leaves (so one above perMinute/60 waits its
   * share, not a fixed second, and small ones go at the full rate), and the exact sliding minute the
   * provider enforces (plus ARRIVAL_SLACK_MS), which the pace plus one request could overrun.
   */
  private setTokenLimit(perMinute: number): void {
    const tps = (perMinute / 60) * this.safety;
    if (!this.tokens) this.tokens = new Gcra(tps);
    else this.tokens.ratePerSecond = tps;
    if (!this.tokenWindow) this.tokenWindow = new WindowBudget(perMinute, TOKEN_WINDOW_MS + ARRIVAL_SLACK_MS);
    else this.tokenWindow.capacity = perMinute;
  }

  private pauseUntil(t: number): void {
    if (t > this.pausedUntil) this.pausedUntil = t;
  }

  /** Re-evaluates a pending sleep after the state changed. */
  private poke(): void {
    this.wakeUp?.abort();
  }

  /** How long a request of `cost` tokens must wait now, and on what (the rate as of now first). */
  private delayFor(cost: number, now: number): { delay: number; requestWait: number; otherWait: number } {
    this.setRate(this.adaptive.rate(now), now);
    // The first wave is paced on its own: booking it on the slow-start schedule would hold
    // the requests after it back by the time the slow pace would have needed for it.
    const wave = this.firstWave;
    const requestWait = wave ? wave.pace.delay(1, now) : this.requests.delay(1, now);
    const otherWait = Math.max(this.pausedUntil - now, this.tokenWait(cost, now));
    return { delay: Math.max(requestWait, otherWait), requestWait, otherWait };
  }

  /** How long the token pace holds a request of `cost` tokens back: the rate's and the minute window's, the longer. */
  private tokenWait(cost: number, now: number): number {
    const tokens = Math.max(0, cost);
    return Math.max(this.tokens ? this.tokens.delay(tokens, now) : 0, this.tokenWindow ? this.tokenWindow.delay(tokens, now) : 0);
  }

  /**
   * Tells slow start that a request waited on the request pace, also one let out within earlyMs:
   * only such a wait says a higher request rate would be of use (held by a token budget or a pause,
   * slow start would otherwise double the rate without end). Noted only when slept, a pace of 512
   * a second whose waits all stayed under earlyMs was never doubled for the 500 a second asked.
   */
  private noteHeld(wait: { delay: number; requestWait: number; otherWait: number }, wave: { pace: Gcra; left: number } | undefined): void {
    if (!wave && wait.delay > 0 && wait.requestWait > 0 && wait.requestWait >= wait.otherWait) this.adaptive.noteHeld();
  }

  /** Books one admitted request of `cost` tokens at `now`. */
  private admit(cost: number, now: number, wave: { pace: Gcra; left: number } | undefined): void {
    if (wave) {
      wave.pace.admit(1, now);
      if (--wave.left === 0) this.firstWave = undefined;
    } else {
      this.requests.admit(1, now);
    }
    this.tokens?.admit(Math.max(0, cost), now);
    this.tokenWindow?.admit(Math.max(0, cost), now);
    if (!this.started) {
      // The first request of a run leaves late (connections, lazy loading) and the next would
      // reach the server right behind it: start the schedule a little later instead.
      this.started = true;
      this.requests.adjust((this.requests.ratePerSecond * FIRST_REQUEST_SLACK_MS) / 1000);
    }
    this.adaptive.noteSent(now);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length > 0) {
        const head = this.waiters[0]!;
        const now = this.clock.now();
        const wave = this.firstWave;
        const cost = price(head.cost);
        const wait = this.delayFor(cost, now);
        const { delay } = wait;
        this.noteHeld(wait, wave);
        if (delay > this.earlyMs) {
          this.heldUntil = now + delay;
          this.heldByRefusals = this.pausedUntil > now || (wait.requestWait >= wait.otherWait && this.adaptive.cutBelowCeiling());
          // One controller a sleep: a clock (a public option) need not take its listener off the
          // signal when a sleep ends, and a controller kept for them all would gather them.
          this.wakeUp = new AbortController();
          // Re-check at least every 50 ms (slow start's step): the rate changes over time. Node's
          // timers end up to 1 ms early: a wait slept to the next whole ms is over when it wakes.
          await this.clock.sleep(Math.min(this.wholeMs ? Math.ceil(delay) : delay, 50), this.wakeUp.signal).catch(() => {});
          this.wakeUp = undefined;
          continue;
        }
        this.waiters.shift();
        this.admit(cost, now, wave);
        head.resolve(now);
        // In the first wave, admitting the next waiter at once would chain the admissions into one
        // run of microtasks: no socket connects or writes until the whole wave is admitted, and the
        // paced wave would reach the server all at once. One event-loop turn (the pump stays busy,
        // so new waiters queue meanwhile) lets each request leave before the next is admitted.
        if (wave) await this.clock.yield?.();
      }
    } finally {
      this.pumping = false;
    }
  }
}
