import { timerDelay } from './timer-delay.js';

/** Time source for everything that paces or waits, injected so tests can run on virtual time. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Lets pending I/O run (one event-loop turn) without waiting for time to pass. */
  yield?(): Promise<void>;
  /**
   * How far a sleep may end from the time asked, either way (0 or unset: exactly). Node's timers
   * count whole milliseconds from a loop time that may be a millisecond old.
   */
  granularityMs?: number;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        // A Retry-After of a month would otherwise fire after 1 ms and retry at once.
        timerDelay(ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
  yield: () => new Promise<void>((resolve) => setImmediate(resolve)),
  granularityMs: 1,
};
