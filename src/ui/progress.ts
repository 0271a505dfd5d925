import type { BatchStats } from '../engine/stats.js';
import { compact, count, duration, rate } from './number-format.js';

/** What a progress display shows at one instant. */
export interface ProgressSnapshot {
  /** Rows finished, plus records an earlier run already answered (`--resume`). */
  done: number;
  ok: number;
  failed: number;
  skipped: number;
  /** Records in the input, when known (a file, once counted); never below `done`. */
  total: number | undefined;
  inFlight: number;
  /** Requests (attempts, retries included) per second, recently. */
  requestsPerSecond: number;
  /** Prompt + completion tokens per second, recently. */
  tokensPerSecond: number;
  /** Seconds left at the recent pace; undefined without a total or a pace. */
  etaSeconds: number | undefined;
  /** Set while the rate limiter holds every request back. */
  pausedMs: number | undefined;
  /** Set while requests wait on the pace the server announced: that pace, per minute. */
  serverPacePerMinute?: number | undefined;
  /** That pace is what the server's token limit allows. */
  serverPaceByTokens?: true | undefined;
  /** The run admits no new prompts (Ctrl-C, a quota, --max-cost): no ETA, only those in flight end. */
  stopping?: boolean;
}

interface Sample {
  t: number;
  requests: number;
  /** ok + failed (not skipped: those finish instantly and would inflate the pace). */
  finished: number;
  tokens: number;
}

/** A wait every request sits out from this long on is a window's limit used up, not a hiccup. */
const LONG_PAUSE_MS = 5000;

/**
 * Recent rates from periodic samples of the live stats: the pace over the last `windowMs`, or since
 * the start while the run is younger than that.
 */
export class RateMeter {
  private readonly samples: Sample[] = [];
  /** The long wait every request sits out now: when it was first seen, and when it ends. */
  private longPause: { from: number; endsAt: number } | undefined;

  constructor(
    private readonly stats: BatchStats,
    private readonly windowMs = 15_000,
  ) {}

  private take(t: number): Sample {
    const s = this.stats;
    return { t, requests: s.requests, finished: s.ok + s.failed, tokens: s.promptTokens + s.completionTokens };
  }

  snapshot(now: number, total: number | undefined, pauseUntil = 0): ProgressSnapshot {
    const s = this.stats;
    const current = this.take(now);
    this.samples.push(current);
    // Keep one sample at or before the window's start, so the window is always fully covered.
    while (this.samples.length > 2 && this.samples[1]!.t <= now - this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    // Within the run's first second, what it did so far, over a second: one request 24 ms in read
    // "41.4 req/s", and the first burst of -c requests as many times that.
    const early = now - s.startedAt < 1000;
    const origin: Sample = !early && first.t < now - 250 ? first : { t: s.startedAt, requests: 0, finished: 0, tokens: 0 };
    const seconds = early ? 1 : Math.max(0.001, (now - origin.t) / 1000);
    const perSecond = (key: 'requests' | 'finished' | 'tokens') => Math.max(0, current[key] - origin[key]) / seconds;

    const done = s.ok + s.failed + s.skipped;
    const knownTotal = total === undefined ? undefined : Math.max(total, done);
    // While requests wait on the pace the server announced, rows cannot finish faster than it: the
    // recent pace may still hold the burst before the server's limit was learned (ETA 4s for 18
    // prompts at 59/min).
    const serverPace = s.serverPacePerMinute === undefined ? Infinity : s.serverPacePerMinute / 60;
    const left = knownTotal === undefined ? undefined : knownTotal - done;
    // Nothing finishes while every request waits out a rate limit: the rest comes after it (a run
    // waiting 85 s said "ETA 29s").
    const pausedMs = pauseUntil > now ? pauseUntil - now : undefined;
    const waitPace = this.waitPace(now, pauseUntil, current.finished);
    const pace = Math.min(waitPace ?? perSecond('finished'), serverPace);
    // The wait's pace has the wait in it already: what of it has passed is done.
    const eta = (left: number) =>
      waitPace === undefined ? left / pace + (pausedMs ?? 0) / 1000 : Math.max(pausedMs! / 1000, left / pace - (now - this.longPause!.from) / 1000);
    return {
      done,
      ok: s.ok,
      failed: s.failed,
      skipped: s.skipped,
      total: knownTotal,
      inFlight: s.inFlight,
      requestsPerSecond: perSecond('requests'),
      tokensPerSecond: perSecond('tokens'),
      // Not from the first second's figures: "ETA 29s" on a run of 1.7 s (its pace not known yet).
      etaSeconds: left === undefined ? undefined : left === 0 ? 0 : pace > 0 && !early ? eta(left) : undefined,
      pausedMs,
      serverPacePerMinute: s.serverPacePerMinute,
      serverPaceByTokens: s.serverPaceByTokens,
    };
  }

  /**
   * The pace to count on while every request sits out a long wait: a server that counts requests
   * in windows answers a burst, then makes every request wait out the window (300 a minute: 2 s of
   * answers, 58 s of waiting). The burst's pace said "ETA 4s", and once the recent pace fell to
   * nothing the ETA was gone, the wait's end known all the same. The pace over the run to the
   * wait's end, the wait included, is the window's. Once rows flow again, the recent pace: the
   * window may be gone (another job's use of it ended), and the next wait brings this one back.
   * Undefined but in such a wait.
   */
  private waitPace(now: number, pauseUntil: number, finished: number): number | undefined {
    const pausedMs = pauseUntil - now;
    if (pausedMs > 0 && (pausedMs >= LONG_PAUSE_MS || this.longPause?.endsAt === pauseUntil)) {
      // One wait moved on (a later retry-after) is still the wait that began then.
      const from = this.longPause && this.longPause.endsAt > now ? this.longPause.from : now;
      this.longPause = { from, endsAt: pauseUntil };
      return finished / Math.max(0.001, (pauseUntil - this.stats.startedAt) / 1000);
    }
    this.longPause = undefined;
    return undefined;
  }
}

/** `pacing to 294/min (server limit)`: requests wait on the rate the server's headers announced. */
export function pacingText(perMinute: number, byTokens?: boolean): string {
  return `pacing to ${count(perMinute)}/min (server ${byTokens ? 'token ' : ''}limit)`;
}

/** `rate limited, waiting 2.5s`, rounded up: a pause's last 50 ms said "waiting 0.0s". */
export function waitingText(pausedMs: number): string {
  return `rate limited, waiting ${(Math.ceil(pausedMs / 100) / 10).toFixed(1)}s`;
}

/** `1,200/5,000 done (1,190 ok, 10 failed) · 38.2 req/s · ETA 1m40s`, for logs (no escape codes). */
export function formatProgressLine(p: ProgressSnapshot): string {
  const parts = [
    `${count(p.done)}${p.total !== undefined ? `/${count(p.total)}` : ''} done (${count(p.ok)} ok, ${count(p.failed)} failed${p.skipped ? `, ${count(p.skipped)} from the earlier run` : ''})`,
    `${rate(p.requestsPerSecond)} req/s`,
  ];
  if (p.stopping) parts.push('stopping');
  else if (p.etaSeconds !== undefined && p.done < (p.total ?? 0)) parts.push(`ETA ${duration(p.etaSeconds)}`);
  if (p.pausedMs !== undefined) parts.push(waitingText(p.pausedMs));
  else if (p.serverPacePerMinute !== undefined) parts.push(pacingText(p.serverPacePerMinute, p.serverPaceByTokens));
  return parts.join(' · ');
}

/**
 * What a live bar has dropped to fit its width so far. Passed from frame to frame, it keeps a part
 * that once had to go from coming back a moment later as figures change width (at 50 columns the
 * bar and its percentage came and went as counters grew). Start a new one when the width changes.
 */
export interface BarLayout {
  readonly dropped: Set<string>;
}

/**
 * The bar line: `█████░░░░░  42% 1,200/5,000 · 1,190 ok · 10 failed · 38.2 req/s · 1.2k tok/s · ETA 1m40s · 8 in flight`
 * (no bar, percentage or ETA without a total; `3 from the earlier run` after a resume). Fitted to
 * `width` columns: the earlier run's count, tok/s and the in-flight count go first, then req/s, then
 * the bar, then the ETA. Plain characters only (no colour):
 * cli-progress cuts the line at the terminal width, and a cut escape code would bleed.
 */
export function formatBarLine(p: ProgressSnapshot, width: number, layout?: BarLayout): string {
  const BAR_MIN = 10;
  type Part = { key: string; text: string; keep: number };
  let parts: Part[] = [];
  parts.push({ key: 'done', text: p.total !== undefined ? `${count(p.done)}/${count(p.total)}` : `${count(p.done)} done`, keep: 9 });
  parts.push({ key: 'ok', text: `${count(p.ok)} ok`, keep: 8 });
  parts.push({ key: 'failed', text: `${count(p.failed)} failed`, keep: 8 });
  // A resume: `done` counts them, and `ok` and `failed` do not; said, or 3 of 7 done go unexplained.
  if (p.skipped) parts.push({ key: 'skipped', text: `${count(p.skipped)} from the earlier run`, keep: 2 });
  parts.push({ key: 'req', text: `${rate(p.requestsPerSecond)} req/s`, keep: 5 });
  parts.push({ key: 'tok', text: `${compact(p.tokensPerSecond)} tok/s`, keep: 3 });
  // Stopping, the rest will not run: no ETA for it, and the word that says why the bar stands still.
  if (p.stopping) parts.push({ key: 'stopping', text: 'stopping', keep: 10 });
  else if (p.total !== undefined && p.done < p.total)
    parts.push({ key: 'eta', text: `ETA ${p.etaSeconds === undefined ? '–' : duration(p.etaSeconds)}`, keep: 6 });
  parts.push({ key: 'flight', text: `${p.inFlight} in flight`, keep: 4 });
  // Why few are in flight and the rate falls: the server's own limit, not a stall.
  if (p.serverPacePerMinute !== undefined) parts.push({ key: 'pacing', text: pacingText(p.serverPacePerMinute, p.serverPaceByTokens), keep: 7 });

  // The bar and its percentage count as one part, kept before the less important figures.
  const fraction = p.total === undefined ? undefined : p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const percent = fraction === undefined ? '' : `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  let withBar = fraction !== undefined && !layout?.dropped.has('bar');
  if (layout) parts = parts.filter((x) => !layout.dropped.has(x.key));
  const barRoom = () => (withBar ? BAR_MIN + 1 + percent.length + 1 : 0);
  const textWidth = () => parts.map((x) => x.text).join(' · ').length;
  while (textWidth() + barRoom() > width) {
    let lowest = -1;
    for (let i = 0; i < parts.length; i++) if (parts[i]!.keep < (lowest < 0 ? Infinity : parts[lowest]!.keep)) lowest = i;
    const lowestKeep = lowest < 0 ? Infinity : parts[lowest]!.keep;
    if (withBar && lowestKeep > 5.5) {
      withBar = false;
      layout?.dropped.add('bar');
    } else if (parts.length > 1 && lowest >= 0) {
      const [gone] = parts.splice(lowest, 1);
      if (gone) layout?.dropped.add(gone.key);
    } else break;
  }
  let text = parts.map((x) => x.text).join(' · ');
  if (withBar && fraction !== undefined) {
    const size = Math.min(30, width - text.length - percent.length - 2);
    const filled = Math.round(fraction * size);
    text = `${'█'.repeat(filled)}${'░'.repeat(size - filled)} ${percent} ${text}`;
  }
  return text.length > width ? text.slice(0, width) : text;
}
