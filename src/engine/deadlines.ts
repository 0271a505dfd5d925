import { getEventListeners } from 'node:events';
import { AttemptError } from '../provider/completion.js';

export interface DeadlineOptions {
  /** Whole-attempt deadline. */
  timeoutMs?: number;
  /** Longest wait for headers or between two body/stream chunks. */
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

/**
 * The attempts running under each parent signal, and the one listener that aborts them all. Node's
 * EventTarget scans a signal's listeners on every add and remove: with hundreds of attempts in
 * flight, a listener per attempt on the run's signal cost more than the attempt's own request.
 * The listener goes when the last attempt under it ends, so none is left on a long-lived signal.
 */
const attemptsUnder = new WeakMap<AbortSignal, { attempts: Set<AbortController>; onAbort: () => void }>();

function follow(parent: AbortSignal, controller: AbortController): () => void {
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
  const { attempts, onAbort } = entry;
  attempts.add(controller);
  return () => {
    attempts.delete(controller);
    if (attempts.size === 0 && attemptsUnder.get(parent) === entry) {
      attemptsUnder.delete(parent);
      parent.removeEventListener('abort', onAbort);
    }
  };
}

/**
 * Both deadlines of one attempt on one timer. Activity (every stream chunk) only notes the time; the
 * timer, armed for whichever deadline is due first, checks when it fires and re-arms for the next.
 * Re-arming a timer per chunk (`refresh()`, or clear and set) cost more than a 200-token answer's
 * own parsing.
 */
class AttemptTimer {
  private readonly startedAt: number;
  private lastActivity: number;
  /** Whether anything came (headers, a chunk): a deadline then is not the endpoint's silence. */
  heard = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly controller: AbortController,
    private readonly timeoutMs: number | undefined,
    private readonly idleTimeoutMs: number | undefined,
  ) {
    this.startedAt = this.lastActivity = performance.now();
    this.arm(Math.min(timeoutMs ?? Number.POSITIVE_INFINITY, idleTimeoutMs ?? Number.POSITIVE_INFINITY));
  }

  readonly onActivity = (): void => {
    this.lastActivity = performance.now();
    this.heard = true;
  };

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(ms: number): void {
    // Whole ms, at least one: a timer due a fraction early would only be armed again.
    this.timer = setTimeout(check, Math.max(1, Math.ceil(ms)), this);
  }

  /** Aborts on a passed deadline, or waits until the next one is due. */
  check(): void {
    const now = performance.now();
    const { timeoutMs, idleTimeoutMs } = this;
    const totalLeft = timeoutMs ? this.startedAt + timeoutMs - now : Number.POSITIVE_INFINITY;
    const idleLeft = idleTimeoutMs ? this.lastActivity + idleTimeoutMs - now : Number.POSITIVE_INFINITY;
    if (totalLeft <= 0) this.controller.abort(new DeadlineReached('total', timeoutMs!));
    else if (idleLeft <= 0) this.controller.abort(new DeadlineReached('idle', idleTimeoutMs!));
    else this.arm(Math.min(totalLeft, idleLeft));
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

const check = (timer: AttemptTimer): void => timer.check();
const noActivity = (): void => {};

/**
 * Runs one attempt under an AbortSignal that fires on the whole-attempt deadline, on idleness, or
 * when the run is stopped; a fired deadline becomes a `timeout` error whatever the attempt threw
 * (an aborted stream often just ends). A healthy long stream keeps pushing the idle deadline back.
 */
export async function withDeadlines<T>(run: (signal: AbortSignal, onActivity: () => void) => Promise<T>, options: DeadlineOptions): Promise<T> {
  const parent = options.signal;
  if (parent?.aborted) throw new AttemptError('aborted', 'run interrupted');
  const controller = takeController();
  const unfollow = parent ? follow(parent, controller) : undefined;
  const { timeoutMs, idleTimeoutMs } = options;
  const timer = timeoutMs || idleTimeoutMs ? new AttemptTimer(controller, timeoutMs, idleTimeoutMs) : undefined;

  try {
    return await run(controller.signal, timer ? timer.onActivity : noActivity);
  } catch (err) {
    const reason: unknown = controller.signal.reason;
    if (reason instanceof DeadlineReached) {
      const secs = +(reason.ms / 1000).toFixed(3);
      const noResponse = timer?.heard === false ? { noResponse: true } : {};
      throw new AttemptError('timeout', reason.kind === 'total' ? `attempt exceeded --timeout ${secs}s` : `no data for ${secs}s (--idle-timeout)`, noResponse);
    }
    if (controller.signal.aborted) throw new AttemptError('aborted', 'run interrupted');
    throw err;
  } finally {
    timer?.stop();
    unfollow?.();
    releaseController(controller);
  }
}
