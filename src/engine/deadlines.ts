import { AttemptError, type AbortWatcher, type AttemptWatch } from '../provider/completion.js';
import { timerDelay } from '../util/timer-delay.js';

export interface DeadlineOptions {
  /** Whole-attempt deadline. */
  timeoutMs?: number;
  /**
   * Longest wait for headers or between two body/stream chunks; not for the headers and body's
   * start of a request without streaming (see AttemptContext.onActivity), which come with the
   * whole answer.
   */
  idleTimeoutMs?: number;
  /** The run's hard stop. */
  signal?: AbortSignal;
  /**
   * The clock the attempts wait on: one per run (a `new DeadlineClock()`), so that one run's
   * attempts come due in the order they left and nothing of an earlier run (or of a test under fake
   * timers) stays on it. Without one, a clock all such callers share.
   */
  clock?: DeadlineClock;
}

class DeadlineReached extends Error {
  constructor(
    readonly kind: 'total' | 'idle',
    readonly ms: number,
  ) {
    super(kind);
  }
}

/** The attempts running under one parent signal, and the one listener that aborts them all. */
interface Followers {
  attempts: Set<Deadlines>;
  onAbort: () => void;
}

/**
 * The attempts running under each parent signal. Node's EventTarget scans a signal's listeners on
 * every add and remove: with hundreds of attempts in flight, a listener per attempt on the run's
 * signal cost more than the attempt's own request. The listener goes when the last attempt under
 * it ends, so none is left on a long-lived signal.
 */
const attemptsUnder = new WeakMap<AbortSignal, Followers>();

function follow(parent: AbortSignal, deadlines: Deadlines): Followers {
  let entry = attemptsUnder.get(parent);
  if (!entry) {
    const attempts = new Set<Deadlines>();
    const onAbort = () => {
      attemptsUnder.delete(parent);
      for (const d of attempts) d.abort(parent.reason);
    };
    parent.addEventListener('abort', onAbort, { once: true });
    entry = { attempts, onAbort };
    attemptsUnder.set(parent, entry);
  }
  entry.attempts.add(deadlines);
  return entry;
}

function unfollow(parent: AbortSignal, entry: Followers, deadlines: Deadlines): void {
  entry.attempts.delete(deadlines);
  if (entry.attempts.size === 0 && attemptsUnder.get(parent) === entry) {
    attemptsUnder.delete(parent);
    parent.removeEventListener('abort', entry.onAbort);
  }
}

/**
 * How much later than due a deadline's timer may fire and still judge the server. Later, the
 * process could not watch (stopped by Ctrl-Z or SIGSTOP, or its event loop blocked) while the
 * server may have sent the rest of its answer: after SIGCONT libuv runs the timers that came due
 * before it polls the sockets, and an answer whole in the socket was thrown away and paid again.
 */
export const LATE_MS = 100;

/** How long a deadline that fired late waits for the poll phase to read what arrived meanwhile, then judges. */
export const GRACE_MS = 100;

/**
 * One attempt's signal and both its deadlines, on its clock's timer (see {@link DeadlineClock}).
 * Activity (every stream chunk) only notes the time; the clock, when whichever deadline is due
 * first comes, checks, and the attempt takes its place again for the next. Re-arming a timer per
 * chunk (`refresh()`, or clear and set) cost more than a 200-token answer's own parsing.
 *
 * The attempt's outcome passes through `passed` / `failed`: one object per attempt and no
 * suspended async call, which would stay alive, with what it holds, while the request is in
 * flight (issue 16). It is also the attempt's {@link AbortWatch}: the transport's watchers are
 * told of an abort as a listener on the signal would be, without one (see AttemptContext.aborts).
 */
class Deadlines implements AttemptWatch {
  /** The signal's, made when first read (see WatchedContext): the engine's transport hears of an abort as a watcher. */
  private controller: AbortController | undefined;
  private abortedNow = false;
  private abortReason: unknown;
  private readonly startedAt: number;
  private lastActivity: number;
  /** Whether anything came (headers, a chunk): a deadline then is not the endpoint's silence. */
  private heard = false;
  /** A request without streaming is out and none of its body came yet: the idle clock waits with it. */
  private awaitingWhole = false;
  /** When the next check is due (performance.now() ms), also to tell a clock that came late. */
  dueAt = 0;
  /** Whether the attempt waits on its clock (between its checks), and its neighbours there in order of `dueAt`. */
  queued = false;
  prevDue: Deadlines | undefined;
  nextDue: Deadlines | undefined;
  /** The watchers of its abort: the one a request has, and any more (a redirect's first response, still draining). */
  private watcher: AbortWatcher | undefined;
  private watchers: AbortWatcher[] | undefined;
  /** A passed deadline fired late and got its grace: the next check judges. */
  private graced = false;
  private readonly followers: Followers | undefined;

  constructor(
    private readonly parent: AbortSignal | undefined,
    private readonly timeoutMs: number | undefined,
    private readonly idleTimeoutMs: number | undefined,
    /** The clock this attempt's checks wait on. */
    private readonly clock: DeadlineClock,
  ) {
    this.followers = parent ? follow(parent, this) : undefined;
    this.startedAt = this.lastActivity = timeoutMs || idleTimeoutMs ? performance.now() : 0;
    if (timeoutMs || idleTimeoutMs) this.arm(Math.min(timeoutMs || Number.POSITIVE_INFINITY, idleTimeoutMs || Number.POSITIVE_INFINITY), this.startedAt);
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedNow) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.abortedNow;
  }

  get reason(): unknown {
    return this.abortReason;
  }

  watch(watcher: AbortWatcher): void {
    // Already aborted: told at once. A listener added to an aborted signal is never called, but a
    // transport that found the signal unaborted a moment before has nothing else to hear it from.
    if (this.abortedNow) return void tell(watcher);
    if (this.watcher === undefined) this.watcher = watcher;
    else (this.watchers ??= []).push(watcher);
  }

  unwatch(watcher: AbortWatcher): void {
    if (this.watcher === watcher) this.watcher = undefined;
    else if (this.watchers) {
      const at = this.watchers.indexOf(watcher);
      if (at >= 0) this.watchers.splice(at, 1);
    }
  }

  /** Aborts the attempt's signal, then tells its watchers, once each, as the signal's listeners would be told. */
  abort(reason: unknown): void {
    if (this.abortedNow) return;
    this.abortedNow = true;
    // As AbortController.abort() gives a signal aborted without a reason.
    this.abortReason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    this.controller?.abort(this.abortReason);
    const { watcher, watchers } = this;
    this.watcher = this.watchers = undefined;
    if (watcher) tell(watcher);
    if (watchers) for (const w of watchers) tell(w);
  }

  readonly onActivity = (what?: 'whole' | 'headers'): void => {
    if (what === 'whole') {
      this.awaitingWhole = true;
      return;
    }
    this.lastActivity = performance.now();
    this.heard = true;
    // A whole answer's headers may come at once and its body minutes later: the body is awaited.
    if (what !== 'headers') this.awaitingWhole = false;
  };

  readonly passed = <T>(value: T): T => {
    this.end();
    return value;
  };

  /** A fired deadline becomes a `timeout` error whatever the attempt threw (an aborted stream often just ends). */
  readonly failed = (err: unknown): never => {
    this.end();
    const reason = this.abortReason;
    if (reason instanceof DeadlineReached) {
      const secs = +(reason.ms / 1000).toFixed(3);
      const noResponse = this.heard ? {} : { noResponse: true };
      throw new AttemptError('timeout', reason.kind === 'total' ? `attempt exceeded --timeout ${secs}s` : `no data for ${secs}s (--idle-timeout)`, noResponse);
    }
    if (this.abortedNow) throw new AttemptError('aborted', 'run interrupted');
    throw err;
  };

  /** The attempt settled: off its clock and its parent, and nothing more is told its watchers. */
  private end(): void {
    this.clock.remove(this);
    if (this.followers) unfollow(this.parent!, this.followers, this);
    this.watcher = this.watchers = undefined;
  }

  private arm(ms: number, now: number): void {
    // Whole ms, at least one: a timer due a fraction early would only be armed again.
    // Never past what a timer holds (it would fire after 1 ms): check() arms it again until due.
    const delay = Math.max(1, timerDelay(Math.ceil(ms)));
    this.dueAt = now + delay;
    this.clock.add(this, delay);
  }

  /**
   * Aborts on a passed deadline, or waits until the next one is due. Both deadlines, idle and
   * total, are judged only on time the process could watch: one found passed by a timer that fired
   * more than LATE_MS late waits GRACE_MS first, once, so that what the server sent meanwhile is
   * read (an answer whole in the socket after Ctrl-Z and `fg` is kept, not asked and paid again).
   * Data read in the grace defers the idle deadline; an answer finished in it ends the attempt.
   */
  check(): void {
    const now = performance.now();
    const { timeoutMs, idleTimeoutMs } = this;
    if (this.awaitingWhole) this.lastActivity = now;
    const totalLeft = timeoutMs ? this.startedAt + timeoutMs - now : Number.POSITIVE_INFINITY;
    const idleLeft = idleTimeoutMs ? this.lastActivity + idleTimeoutMs - now : Number.POSITIVE_INFINITY;
    if (totalLeft > 0 && idleLeft > 0) {
      this.graced = false;
      this.arm(Math.min(totalLeft, idleLeft), now);
    } else if (!this.graced && now - this.dueAt > LATE_MS) {
      this.graced = true;
      this.arm(GRACE_MS, now);
    } else if (totalLeft <= 0) this.abort(new DeadlineReached('total', timeoutMs!));
    else this.abort(new DeadlineReached('idle', idleTimeoutMs!));
  }
}

/**
 * The armed deadlines of one run's attempts (or of every caller that brings no clock), in the order
 * they come due, on one timer: the first one's. A timer per attempt, set as it left
 * and cleared as it ended, cost ~3-4 µs of CPU a request (a Timeout, its async id, node's list), as
 * much as the rest of its deadlines' bookkeeping (issue 16). One run's attempts come due in the order
 * they left, so one joins at the end and leaves from anywhere at no cost; the timer then fires for
 * an attempt that has ended, finds nothing due, and is set for the new first.
 */
export class DeadlineClock {
  private first: Deadlines | undefined;
  private last: Deadlines | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer is due (performance.now() ms); infinite while none is set. */
  private timerDue = Number.POSITIVE_INFINITY;

  /** Takes `d` (not on a clock), due `delay` ms from now, in its place by `dueAt`. */
  add(d: Deadlines, delay: number): void {
    let before = this.last;
    while (before !== undefined && before.dueAt > d.dueAt) before = before.prevDue;
    const after = before ? before.nextDue : this.first;
    d.prevDue = before;
    d.nextDue = after;
    if (before) before.nextDue = d;
    else this.first = d;
    if (after) after.prevDue = d;
    else this.last = d;
    d.queued = true;
    if (d.dueAt < this.timerDue) this.setTimer(d.dueAt, delay);
  }

  /** Lets `d` go; the timer goes with the last one, so that an idle clock holds no process open. */
  remove(d: Deadlines): void {
    if (!d.queued) return;
    const { prevDue, nextDue } = d;
    if (prevDue) prevDue.nextDue = nextDue;
    else this.first = nextDue;
    if (nextDue) nextDue.prevDue = prevDue;
    else this.last = prevDue;
    d.queued = false;
    d.prevDue = d.nextDue = undefined;
    if (this.first === undefined && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Number.POSITIVE_INFINITY;
    }
  }

  private setTimer(due: number, delay: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(fire, delay, this);
  }

  /** Checks every attempt now due, in order; a check that finds none passed puts it back further on. */
  fire(): void {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = performance.now();
    try {
      for (let d = this.first; d !== undefined && d.dueAt <= now; d = this.first) {
        this.remove(d);
        d.check();
      }
    } finally {
      // Set again for the first one left, from the time now: the checks' aborts take time too.
      const first = this.first;
      if (first !== undefined && first.dueAt < this.timerDue) this.setTimer(first.dueAt, Math.max(1, Math.ceil(first.dueAt - performance.now())));
    }
  }
}

const fire = (clock: DeadlineClock): void => clock.fire();

/** Tells one watcher; one that throws is reported as a listener's error is (uncaught), and the others are still told. */
function tell(watcher: AbortWatcher): void {
  try {
    watcher.handleEvent();
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}

/** The clock of callers that bring none. */
const sharedClock = new DeadlineClock();

/**
 * Runs one attempt under an AbortSignal that fires on the whole-attempt deadline, on idleness, or
 * when the run is stopped; a fired deadline becomes a `timeout` error whatever the attempt threw
 * (an aborted stream often just ends). A healthy long stream keeps pushing the idle deadline back;
 * a request without streaming that says so (`onActivity('whole')`) has no idle deadline until its
 * body begins: it comes with the whole answer, which may take minutes of thought.
 */
export function withDeadlines<T>(
  run: (signal: AbortSignal, onActivity: (what?: 'whole' | 'headers') => void, aborts: AttemptWatch) => Promise<T>,
  options: DeadlineOptions,
): Promise<T> {
  return attemptWithDeadlines((attempt) => run(attempt.signal, attempt.onActivity, attempt), options);
}

/**
 * As {@link withDeadlines}, for a caller that takes the attempt's watch and reads its signal only if
 * it needs one: the engine, whose own transports never do (see WatchedContext).
 */
export function attemptWithDeadlines<T>(run: (attempt: AttemptWatch) => Promise<T>, options: DeadlineOptions): Promise<T> {
  const parent = options.signal;
  if (parent?.aborted) return Promise.reject(new AttemptError('aborted', 'run interrupted'));
  const deadlines = new Deadlines(parent, options.timeoutMs, options.idleTimeoutMs, options.clock ?? sharedClock);
  let running: Promise<T>;
  try {
    running = run(deadlines);
  } catch (err) {
    running = Promise.reject(err);
  }
  return running.then(deadlines.passed, deadlines.failed);
}
