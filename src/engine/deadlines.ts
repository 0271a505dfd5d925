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
 * Runs one attempt under an AbortSignal that fires on the whole-attempt deadline, on idleness, or
 * when the run is stopped; a fired deadline becomes a `timeout` error whatever the attempt threw
 * (an aborted stream often just ends). A healthy long stream keeps resetting the idle timer.
 */
export async function withDeadlines<T>(run: (signal: AbortSignal, onActivity: () => void) => Promise<T>, options: DeadlineOptions): Promise<T> {
  const controller = new AbortController();
  const parent = options.signal;
  if (parent?.aborted) throw new AttemptError('aborted', 'run interrupted');
  const unfollow = parent ? follow(parent, controller) : undefined;

  let total: NodeJS.Timeout | undefined;
  let idle: NodeJS.Timeout | undefined;
  const { timeoutMs, idleTimeoutMs } = options;
  if (timeoutMs) total = setTimeout(() => controller.abort(new DeadlineReached('total', timeoutMs)), timeoutMs);
  if (idleTimeoutMs) idle = setTimeout(() => controller.abort(new DeadlineReached('idle', idleTimeoutMs)), idleTimeoutMs);
  // Called on every stream chunk: refresh() re-arms the same timer without allocating a new one.
  const armIdle = () => void idle?.refresh();

  try {
    return await run(controller.signal, armIdle);
  } catch (err) {
    const reason: unknown = controller.signal.reason;
    if (reason instanceof DeadlineReached) {
      const secs = +(reason.ms / 1000).toFixed(3);
      throw new AttemptError('timeout', reason.kind === 'total' ? `attempt exceeded --timeout ${secs}s` : `no data for ${secs}s (--idle-timeout)`);
    }
    if (controller.signal.aborted) throw new AttemptError('aborted', 'run interrupted');
    throw err;
  } finally {
    clearTimeout(total);
    clearTimeout(idle);
    unfollow?.();
  }
}
