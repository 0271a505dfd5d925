import { getEventListeners } from 'node:events';
import { AttemptError } from '../provider/completion.js';
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
  attempts: Set<AbortController>;
  onAbort: () => void;
}

/**
 * The attempts running under each parent signal. Node's EventTarget scans a signal's listeners on
 * every add and remove: with hundreds of attempts in flight, a listener per attempt on the run's
 * signal cost more than the attempt's own request. The listener goes when the last attempt under
 * it ends, so none is left on a long-lived signal.
 */
const attemptsUnder = new WeakMap<AbortSignal, Followers>();

function follow(parent: AbortSignal, controller: AbortController): Followers {
  let entry = attemptsUnder.get(parent);
  if (!entry) {
    const attempts = new Set<AbortController>();
    const onAbort = () => {
      attemptsUnder.delete(parent);
      for (const c of attempts) c.abort(parent.reason);
    };
    parent.addEventListener('abort', onAbort, { once: true });
    entry = { attempts, onAbort };
    attemptsUnder.set(parent, entry);
  }
  entry.attempts.add(controller);
  return entry;
}

function unfollow(parent: AbortSignal, entry: Followers, controller: AbortController): void {
  entry.attempts.delete(controller);
  if (entry.attempts.size === 0 && attemptsUnder.get(parent) === entry) {
    attemptsUnder.delete(parent);
    parent.removeEventListener('abort', entry.onAbort);
  }
}

/**
 * Controllers of attempts that ended unaborted, oldest first. Node 20 makes an AbortSignal slowly
 * (a few µs, more than the rest of an attempt's bookkeeping), so one is used again once nothing
 * listens to it any more: the transport lets go of it when its response closes, shortly after the
 * attempt ends. An unaborted signal without listeners cannot be told from a new one.
 */
const spare: AbortController[] = [];
const MAX_SPARE = 1024;

function takeController(): AbortController {
  while (spare.length > 0) {
    const controller = spare.shift()!;
    if (getEventListeners(controller.signal, 'abort').length === 0) return controller;
  }
  return new AbortController();
}

function releaseController(controller: AbortController): void {
  if (!controller.signal.aborted && spare.length < MAX_SPARE) spare.push(controller);
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
 * One attempt's signal and both its deadlines, on one timer. Activity (every stream chunk) only
 * notes the time; the timer, armed for whichever deadline is due first, checks when it fires and
 * re-arms for the next. Re-arming a timer per chunk (`refresh()`, or clear and set) cost more than
 * a 200-token answer's own parsing.
 *
 * The attempt's outcome passes through `passed` / `failed`: one object per attempt and no
 * suspended async call, which would stay alive, with what it holds, while the request is in
 * flight (issue 16).
 */
class Deadlines<T> {
  readonly controller = takeController();
  private readonly startedAt: number;
  private lastActivity: number;
  /** Whether anything came (headers, a chunk): a deadline then is not the endpoint's silence. */
  private heard = false;
  /** A request without streaming is out and none of its body came yet: the idle clock waits with it. */
  private awaitingWhole = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the timer is due (performance.now() ms), to tell a timer that fired late. */
  private dueAt = 0;
  /** A passed deadline fired late and got its grace: the next check judges. */
  private graced = false;
  private readonly followers: Followers | undefined;

  constructor(
    private readonly parent: AbortSignal | undefined,
    private readonly timeoutMs: number | undefined,
    private readonly idleTimeoutMs: number | undefined,
  ) {
    this.followers = parent ? follow(parent, this.controller) : undefined;
    this.startedAt = this.lastActivity = timeoutMs || idleTimeoutMs ? performance.now() : 0;
    if (timeoutMs || idleTimeoutMs) this.arm(Math.min(timeoutMs || Number.POSITIVE_INFINITY, idleTimeoutMs || Number.POSITIVE_INFINITY), this.startedAt);
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

  readonly passed = (value: T): T => {
    this.end();
    return value;
  };

  /** A fired deadline becomes a `timeout` error whatever the attempt threw (an aborted stream often just ends). */
  readonly failed = (err: unknown): never => {
    this.end();
    const signal = this.controller.signal;
    const reason: unknown = signal.reason;
    if (reason instanceof DeadlineReached) {
      const secs = +(reason.ms / 1000).toFixed(3);
      const noResponse = this.heard ? {} : { noResponse: true };
      throw new AttemptError('timeout', reason.kind === 'total' ? `attempt exceeded --timeout ${secs}s` : `no data for ${secs}s (--idle-timeout)`, noResponse);
    }
    if (signal.aborted) throw new AttemptError('aborted', 'run interrupted');
    throw err;
  };

  private end(): void {
    clearTimeout(this.timer);
    if (this.followers) unfollow(this.parent!, this.followers, this.controller);
    releaseController(this.controller);
  }

  private arm(ms: number, now: number): void {
    // Whole ms, at least one: a timer due a fraction early would only be armed again.
    // Never past what a timer holds (it would fire after 1 ms): check() arms it again until due.
    const delay = Math.max(1, timerDelay(Math.ceil(ms)));
    this.dueAt = now + delay;
    this.timer = setTimeout(check, delay, this);
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
    } else if (totalLeft <= 0) this.controller.abort(new DeadlineReached('total', timeoutMs!));
    else this.controller.abort(new DeadlineReached('idle', idleTimeoutMs!));
  }
}

const check = (deadlines: { check(): void }): void => deadlines.check();

/**
 * Runs one attempt under an AbortSignal that fires on the whole-attempt deadline, on idleness, or
 * when the run is stopped; a fired deadline becomes a `timeout` error whatever the attempt threw
 * (an aborted stream often just ends). A healthy long stream keeps pushing the idle deadline back;
 * a request without streaming that says so (`onActivity('whole')`) has no idle deadline until its
 * body begins: it comes with the whole answer, which may take minutes of thought.
 */
export function withDeadlines<T>(
  run: (signal: AbortSignal, onActivity: (what?: 'whole' | 'headers') => void) => Promise<T>,
  options: DeadlineOptions,
): Promise<T> {
  const parent = options.signal;
  if (parent?.aborted) return Promise.reject(new AttemptError('aborted', 'run interrupted'));
  const deadlines = new Deadlines<T>(parent, options.timeoutMs, options.idleTimeoutMs);
  let running: Promise<T>;
  try {
    running = run(deadlines.controller.signal, deadlines.onActivity);
  } catch (err) {
    running = Promise.reject(err);
  }
  return running.then(deadlines.passed, deadlines.failed);
}
