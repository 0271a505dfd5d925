import type { Clock } from '../../src/util/clock.js';

interface Timer {
  at: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** Virtual time for schedulers: `sleep` waits until `advance` moves past its deadline. */
export class FakeClock implements Clock {
  private t = 0;
  private timers: Timer[] = [];
  /** Extra delay added to every timer, to simulate a busy event loop firing timers late. */
  lateness: () => number = () => 0;

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer: Timer = { at: this.t + Math.max(0, ms) + this.lateness(), resolve, reject, signal };
      timer.onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', timer.onAbort, { once: true });
      this.timers.push(timer);
    });
  }

  /** Runs every timer due up to now + ms, in order, letting promise chains settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.signal?.removeEventListener('abort', next.onAbort!);
      next.resolve();
      await settle();
    }
    this.t = end;
    await settle();
  }

  get pendingTimers(): number {
    return this.timers.length;
  }
}

/** Lets every queued microtask and promise continuation run (setImmediate comes after them all). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
