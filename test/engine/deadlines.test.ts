import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttemptError, WatchedContext, abortsOf, type AbortWatcher, type AttemptWatch } from '../../src/provider/completion.js';
import { GRACE_MS, LATE_MS, attemptWithDeadlines, withDeadlines } from '../../src/engine/deadlines.js';

/** An attempt that never finishes by itself: it rejects (as fetch does) when its signal aborts. */
function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')), { once: true });
  });
}

/** Captures the settled state of a promise without letting a rejection go unhandled. */
function track<T>(p: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('withDeadlines', () => {
  it('returns the result and leaves no timers behind', async () => {
    const result = await withDeadlines(async () => 42, { timeoutMs: 1000, idleTimeoutMs: 100 });
    expect(result).toBe(42);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('total timeout → AttemptError timeout mentioning --timeout', async () => {
    let seen: AbortSignal | undefined;
    const p = track(
      withDeadlines(
        (signal) => {
          seen = signal;
          return hang(signal);
        },
        { timeoutMs: 2500 },
      ),
    );
    await vi.advanceTimersByTimeAsync(2499);
    expect(p.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.settled).toBe(true);
    expect(p.error).toBeInstanceOf(AttemptError);
    expect((p.error as AttemptError).type).toBe('timeout');
    expect((p.error as AttemptError).message).toMatch(/--timeout 2\.5s/);
    expect(seen!.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('total timeout fires even while activity keeps coming', async () => {
    const p = track(
      withDeadlines(
        async (signal, onActivity) => {
          const beat = setInterval(onActivity, 10);
          try {
            return await hang(signal);
          } finally {
            clearInterval(beat);
          }
        },
        { timeoutMs: 1000, idleTimeoutMs: 100 },
      ),
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(p.settled).toBe(true);
    expect((p.error as AttemptError).message).toMatch(/--timeout 1s/);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('idle timeout fires when nothing arrives, naming --idle-timeout', async () => {
    const p = track(withDeadlines((signal) => hang(signal), { timeoutMs: 60_000, idleTimeoutMs: 300 }));
    await vi.advanceTimersByTimeAsync(299);
    expect(p.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(p.settled).toBe(true);
    expect(p.error).toBeInstanceOf(AttemptError);
    expect((p.error as AttemptError).type).toBe('timeout');
    expect((p.error as AttemptError).message).toMatch(/no data for 0\.3s \(--idle-timeout\)/);
    // Nothing at all came: the circuit breaker counts it as the endpoint's silence.
    expect((p.error as AttemptError).info.noResponse).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a deadline after the response began (headers, a chunk) is no silence of the endpoint', async () => {
    const p = track(
      withDeadlines(
        (signal, onActivity) => {
          onActivity();
          return hang(signal);
        },
        { timeoutMs: 60_000, idleTimeoutMs: 300 },
      ),
    );
    await vi.advanceTimersByTimeAsync(300);
    expect((p.error as AttemptError).type).toBe('timeout');
    expect((p.error as AttemptError).info.noResponse).toBeUndefined();
  });

  it('idle timeout does not fire while activity comes more often than the idle period, for much longer than it', async () => {
    const p = track(
      withDeadlines(
        async (signal, onActivity) => {
          for (let i = 0; i < 50; i++) {
            await new Promise((r) => setTimeout(r, 60)); // 50 × 60 ms = 3 s, ten times the idle period
            if (signal.aborted) throw signal.reason;
            onActivity();
          }
          return 'whole answer';
        },
        { idleTimeoutMs: 300 },
      ),
    );
    await vi.advanceTimersByTimeAsync(3000);
    expect(p.settled).toBe(true);
    expect(p.error).toBeUndefined();
    expect(p.value).toBe('whole answer');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a request without streaming: no idle timeout before its headers, only the whole-attempt deadline (no response)', async () => {
    const p = track(
      withDeadlines(
        (signal, onActivity) => {
          onActivity('whole');
          return hang(signal);
        },
        { timeoutMs: 5000, idleTimeoutMs: 300 },
      ),
    );
    await vi.advanceTimersByTimeAsync(4999);
    expect(p.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((p.error as AttemptError).message).toMatch(/--timeout 5s/);
    expect((p.error as AttemptError).info.noResponse).toBe(true);
  });

  it('a request without streaming: once its body began, the idle timeout bounds the gaps in it', async () => {
    const p = track(
      withDeadlines(
        async (signal, onActivity) => {
          onActivity('whole');
          await new Promise((r) => setTimeout(r, 2000)); // the whole answer, thought out
          onActivity(); // its first chunk
          return hang(signal); // then the body stalls
        },
        { timeoutMs: 60_000, idleTimeoutMs: 300 },
      ),
    );
    await vi.advanceTimersByTimeAsync(2299);
    expect(p.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((p.error as AttemptError).message).toMatch(/--idle-timeout/);
    expect((p.error as AttemptError).info.noResponse).toBeUndefined();
  });

  it("a request without streaming: headers sent at once, the body 3 s later, is no idle stall; the body's gaps are", async () => {
    const p = track(
      withDeadlines(
        async (signal, onActivity) => {
          onActivity('whole');
          onActivity('headers'); // a server that sends its headers at once
          await new Promise((r) => setTimeout(r, 3000)); // the whole answer, thought out
          onActivity(); // its first chunk
          return hang(signal); // then the body stalls
        },
        { timeoutMs: 60_000, idleTimeoutMs: 300 },
      ),
    );
    await vi.advanceTimersByTimeAsync(3299);
    expect(p.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((p.error as AttemptError).message).toMatch(/--idle-timeout/);
  });

  it("a request without streaming: headers and no body until --timeout is a response, not the endpoint's silence", async () => {
    const p = track(
      withDeadlines(
        (signal, onActivity) => {
          onActivity('whole');
          onActivity('headers');
          return hang(signal);
        },
        { timeoutMs: 5000, idleTimeoutMs: 300 },
      ),
    );
    await vi.advanceTimersByTimeAsync(5000);
    expect((p.error as AttemptError).message).toMatch(/--timeout 5s/);
    expect((p.error as AttemptError).info.noResponse).toBeUndefined();
  });

  it('idle timeout fires after activity stops', async () => {
    const p = track(
      withDeadlines(
        async (signal, onActivity) => {
          for (let i = 0; i < 5; i++) {
            await new Promise((r) => setTimeout(r, 50));
            onActivity();
          }
          return hang(signal); // stalls after 250 ms of chunks
        },
        { idleTimeoutMs: 200 },
      ),
    );
    await vi.advanceTimersByTimeAsync(449);
    expect(p.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((p.error as AttemptError).type).toBe('timeout');
    expect((p.error as AttemptError).message).toMatch(/--idle-timeout/);
  });

  it('a deadline turns whatever the attempt threw (or a quiet end) into a timeout', async () => {
    const p = track(
      withDeadlines(
        (signal) =>
          new Promise((_, reject) => {
            signal.addEventListener('abort', () => reject(new TypeError('terminated')), { once: true });
          }),
        { timeoutMs: 100 },
      ),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect((p.error as AttemptError).type).toBe('timeout');
  });

  it('parent signal abort → aborted, and the attempt signal fires', async () => {
    const parent = new AbortController();
    let seen: AbortSignal | undefined;
    const p = track(
      withDeadlines(
        (signal) => {
          seen = signal;
          return hang(signal);
        },
        { timeoutMs: 10_000, idleTimeoutMs: 1000, signal: parent.signal },
      ),
    );
    await vi.advanceTimersByTimeAsync(10);
    parent.abort(new Error('interrupted'));
    await vi.advanceTimersByTimeAsync(0);
    expect(p.settled).toBe(true);
    expect(p.error).toBeInstanceOf(AttemptError);
    expect((p.error as AttemptError).type).toBe('aborted');
    expect(seen!.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('an already aborted parent fails at once without running the attempt', async () => {
    const parent = new AbortController();
    parent.abort(new Error('interrupted'));
    const run = vi.fn(async () => 'x');
    await expect(withDeadlines(run, { timeoutMs: 1000, signal: parent.signal })).rejects.toMatchObject({ type: 'aborted' });
    expect(run).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('removes its parent listener after success and after failure', async () => {
    const parent = new AbortController();
    await withDeadlines(async () => 'ok', { timeoutMs: 1000, idleTimeoutMs: 100, signal: parent.signal });
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    await expect(
      withDeadlines(
        async () => {
          throw new AttemptError('http', 'HTTP 500', { status: 500 });
        },
        { timeoutMs: 1000, signal: parent.signal },
      ),
    ).rejects.toMatchObject({ type: 'http' });
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('listeners do not accumulate on a long-lived parent over many attempts', async () => {
    const parent = new AbortController();
    for (let i = 0; i < 50; i++) await withDeadlines(async () => i, { timeoutMs: 1000, idleTimeoutMs: 100, signal: parent.signal });
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('passes other errors through untouched when no deadline fired', async () => {
    const boom = new AttemptError('http', 'HTTP 502', { status: 502 });
    await expect(withDeadlines(async () => Promise.reject(boom), { timeoutMs: 1000, idleTimeoutMs: 100 })).rejects.toBe(boom);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('attempts in flight share one timer, and each times out at its own deadline', async () => {
    const sent: Array<ReturnType<typeof track<never>>> = [];
    for (let i = 0; i < 3; i++) {
      if (i > 0) await vi.advanceTimersByTimeAsync(10);
      sent.push(track(withDeadlines(hang, { timeoutMs: 100 })));
    }
    expect(vi.getTimerCount()).toBe(1);
    // Now t = 20: the first is due at 100, the second at 110, the third at 120.
    await vi.advanceTimersByTimeAsync(79);
    expect(sent.map((p) => p.settled)).toEqual([false, false, false]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.map((p) => p.settled)).toEqual([true, false, false]);
    await vi.advanceTimersByTimeAsync(9);
    expect(sent[1]!.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent.map((p) => p.settled)).toEqual([true, true, false]);
    await vi.advanceTimersByTimeAsync(10);
    expect(sent.map((p) => (p.error as AttemptError).type)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an attempt whose next check comes before those of attempts sent after it is not held behind them', async () => {
    // Both first checked at 100 ms (the idle deadline). X, active at 90, is then due at its whole
    // deadline, 150; Y, sent at 60 and silent, at 160.
    let beat: () => void = () => {};
    const x = track(
      withDeadlines(
        (signal, onActivity) => {
          beat = onActivity;
          return hang(signal);
        },
        { timeoutMs: 150, idleTimeoutMs: 100 },
      ),
    );
    await vi.advanceTimersByTimeAsync(60);
    const y = track(withDeadlines(hang, { timeoutMs: 150, idleTimeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(30);
    beat();
    await vi.advanceTimersByTimeAsync(59);
    expect(x.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((x.error as AttemptError).message).toMatch(/--timeout 0\.15s/);
    expect(y.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(10);
    expect((y.error as AttemptError).message).toMatch(/--idle-timeout/);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an attempt that ends leaves the others on their timer, and the last one takes it away', async () => {
    let finish: (value: string) => void = () => {};
    const first = track(withDeadlines(() => new Promise<string>((resolve) => (finish = resolve)), { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(10);
    const second = track(withDeadlines(hang, { timeoutMs: 100 }));
    finish('answer');
    await vi.advanceTimersByTimeAsync(0);
    expect(first.value).toBe('answer');
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(99);
    expect(second.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((second.error as AttemptError).type).toBe('timeout');
    expect(vi.getTimerCount()).toBe(0);
  });

  describe("the attempt's watch of its abort (AttemptContext.aborts)", () => {
    it('tells a watcher that comes after the abort at once', async () => {
      const late = { handleEvent: vi.fn() };
      const p = track(
        withDeadlines(
          (_signal, _onActivity, aborts) =>
            new Promise((_, reject) => {
              setTimeout(() => {
                aborts.watch(late);
                reject(new Error('cut'));
              }, 150);
            }),
          { timeoutMs: 100 },
        ),
      );
      await vi.advanceTimersByTimeAsync(150);
      expect(late.handleEvent).toHaveBeenCalledTimes(1);
      expect((p.error as AttemptError).type).toBe('timeout');
    });

    it('tells its watcher of a deadline once, after the signal aborted', async () => {
      let aborted: boolean | undefined;
      const watcher = { handleEvent: vi.fn() };
      const parent = new AbortController();
      const p = track(
        withDeadlines(
          (signal, _onActivity, aborts) => {
            aborts.watch({
              handleEvent() {
                aborted = signal.aborted;
                watcher.handleEvent();
                // The run stopping at that moment (its stop aborts every attempt in flight) tells no one twice.
                parent.abort();
              },
            });
            return new Promise((_, reject) => setTimeout(() => reject(new Error('cut')), 1000));
          },
          { timeoutMs: 100, signal: parent.signal },
        ),
      );
      await vi.advanceTimersByTimeAsync(100);
      expect(watcher.handleEvent).toHaveBeenCalledTimes(1);
      expect(aborted).toBe(true);
      await vi.advanceTimersByTimeAsync(1000);
      expect((p.error as AttemptError).type).toBe('timeout');
      expect(watcher.handleEvent).toHaveBeenCalledTimes(1);
    });

    it("tells it of the run's stop", async () => {
      const parent = new AbortController();
      const watcher = { handleEvent: vi.fn() };
      const p = track(
        withDeadlines(
          (signal, _onActivity, aborts) => {
            aborts.watch(watcher);
            return hang(signal);
          },
          { timeoutMs: 10_000, signal: parent.signal },
        ),
      );
      parent.abort(new Error('interrupted'));
      await vi.advanceTimersByTimeAsync(0);
      expect(watcher.handleEvent).toHaveBeenCalledTimes(1);
      expect((p.error as AttemptError).type).toBe('aborted');
    });

    it('tells every watcher left (a redirect still draining, and the request after it), none taken back', async () => {
      const gone = { handleEvent: vi.fn() };
      const redirect = { handleEvent: vi.fn() };
      const next = { handleEvent: vi.fn() };
      const p = track(
        withDeadlines(
          (signal, _onActivity, aborts) => {
            aborts.watch(gone);
            aborts.watch(redirect);
            aborts.watch(next);
            aborts.unwatch(gone);
            // Taking back one twice, or one never given, takes back no other.
            aborts.unwatch(gone);
            aborts.unwatch({ handleEvent() {} });
            return hang(signal);
          },
          { timeoutMs: 100 },
        ),
      );
      await vi.advanceTimersByTimeAsync(100);
      expect((p.error as AttemptError).type).toBe('timeout');
      expect(gone.handleEvent).not.toHaveBeenCalled();
      expect(redirect.handleEvent).toHaveBeenCalledTimes(1);
      expect(next.handleEvent).toHaveBeenCalledTimes(1);
    });
  });

  it('no timeouts given → no timers at all', async () => {
    const p = track(withDeadlines(() => new Promise((r) => setTimeout(() => r('late'), 10_000_000)), {}));
    expect(vi.getTimerCount()).toBe(1); // only the attempt's own timer
    await vi.advanceTimersByTimeAsync(10_000_000);
    expect(p.value).toBe('late');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an attempt that ignores the abort and resolves after the deadline keeps its value', async () => {
    // The work is done and whole: nothing is gained by throwing it away.
    const p = track(withDeadlines(() => new Promise((r) => setTimeout(() => r('done'), 200)), { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(200);
    expect(p.value).toBe('done');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never hands an attempt an aborted signal, or one a finished attempt still listens to', async () => {
    const seen: AbortSignal[] = [];
    const first = track(
      withDeadlines(
        (signal) => {
          seen.push(signal);
          return hang(signal);
        },
        { timeoutMs: 100 },
      ),
    );
    await vi.advanceTimersByTimeAsync(100);
    expect((first.error as AttemptError).type).toBe('timeout');
    // A finished attempt whose listener stays on its signal (a response not closed yet).
    const late = vi.fn();
    await withDeadlines(
      async (signal) => {
        seen.push(signal);
        signal.addEventListener('abort', late);
        return 'ok';
      },
      { timeoutMs: 1000 },
    );
    for (let i = 0; i < 3; i++) {
      const p = track(
        withDeadlines(
          (signal) => {
            expect(signal.aborted).toBe(false);
            expect(getEventListeners(signal, 'abort')).toHaveLength(0);
            expect(signal).not.toBe(seen[0]);
            expect(signal).not.toBe(seen[1]);
            return hang(signal);
          },
          { idleTimeoutMs: 50 },
        ),
      );
      await vi.advanceTimersByTimeAsync(50);
      expect((p.error as AttemptError).type).toBe('timeout');
    }
    expect(late).not.toHaveBeenCalled();
  });

  it('a deadline past what a timer holds is not checked every millisecond', async () => {
    // 1e23 ms (--timeout 99999999999999999999 before the flags were bounded, or a library caller):
    // Node fires such a timer after 1 ms, and each check armed it again.
    // No spy on the global setTimeout: restored under fake timers, it left the fake installed for
    // every later file of the worker (isolate: false), whose real waits then never ended.
    const parent = new AbortController();
    const p = track(withDeadlines(hang, { timeoutMs: 1e23, idleTimeoutMs: 1e23, signal: parent.signal }));
    await vi.advanceTimersByTimeAsync(100);
    expect(p.settled).toBe(false);
    expect(vi.getTimerCount()).toBe(1);
    const before = Date.now();
    await vi.advanceTimersToNextTimerAsync();
    expect(Date.now() - before).toBe(2 ** 31 - 1 - 100);
    expect(p.settled).toBe(false);
    // Ended, so that nothing of it stays on the clock the tests share.
    parent.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect((p.error as AttemptError).type).toBe('aborted');
    expect(vi.getTimerCount()).toBe(0);
  });

  describe('a deadline whose timer fires late (the process was stopped, or its event loop blocked)', () => {
    /**
     * Moves the fake clock on by `ms` at once, firing each due timer once, late: as after Ctrl-Z and
     * `fg` (SIGSTOP, SIGCONT), when libuv runs the due timers before it polls the sockets.
     */
    const stopFor = (ms: number): void => (setTimeout as unknown as { clock: { jump(ms: number): void } }).clock.jump(ms);

    /** A streamed attempt: its first chunk at once, then whatever the test delivers; ends with `finish`. */
    function streamed() {
      const handle: { chunk: () => void; finish: (value: string) => void } = { chunk: () => {}, finish: () => {} };
      const run = (signal: AbortSignal, onActivity: () => void) =>
        new Promise<string>((resolve, reject) => {
          onActivity();
          handle.chunk = onActivity;
          handle.finish = resolve;
          signal.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')), { once: true });
        });
      return { run, handle };
    }

    it.each([
      ['--idle-timeout', { idleTimeoutMs: 300 }],
      ['--timeout', { timeoutMs: 300 }],
    ])('%s: the answer read right after the late timer is kept', async (_, options) => {
      const { run, handle } = streamed();
      const p = track(withDeadlines(run, options));
      stopFor(5000); // stopped past the deadline while the server sent the rest
      await vi.advanceTimersByTimeAsync(0);
      expect(p.settled).toBe(false); // not judged yet: the sockets are polled first
      handle.chunk(); // the poll phase reads what is buffered: the rest, whole
      handle.finish('the whole answer');
      await vi.advanceTimersByTimeAsync(0);
      expect(p.value).toBe('the whole answer');
      expect(vi.getTimerCount()).toBe(0);
    });

    it.each([
      ['--idle-timeout', { idleTimeoutMs: 300 }, /no data for 0\.3s \(--idle-timeout\)/],
      ['--timeout', { timeoutMs: 300 }, /--timeout 0\.3s/],
    ])('%s: nothing came meanwhile: the deadline holds, GRACE_MS after the late timer', async (_, options, message) => {
      const p = track(withDeadlines(streamed().run, options));
      stopFor(5000);
      await vi.advanceTimersByTimeAsync(GRACE_MS - 1);
      expect(p.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect((p.error as AttemptError).type).toBe('timeout');
      expect((p.error as AttemptError).message).toMatch(message);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('a timer at most LATE_MS late judges at once, as one on time', async () => {
      const p = track(withDeadlines(streamed().run, { idleTimeoutMs: 300 }));
      stopFor(300 + LATE_MS);
      await vi.advanceTimersByTimeAsync(0);
      expect((p.error as AttemptError).message).toMatch(/--idle-timeout/);
    });

    it('data read in the grace defers the idle deadline; a later stall fires on time, and a later stop gets its own grace', async () => {
      const { run, handle } = streamed();
      const p = track(withDeadlines(run, { timeoutMs: 60_000, idleTimeoutMs: 300 }));
      stopFor(5000);
      handle.chunk(); // part of the answer was buffered, the server still sends
      await vi.advanceTimersByTimeAsync(299);
      expect(p.settled).toBe(false);
      stopFor(5000); // stopped again: a grace again
      await vi.advanceTimersByTimeAsync(GRACE_MS - 1);
      expect(p.settled).toBe(false);
      handle.chunk();
      await vi.advanceTimersByTimeAsync(299);
      expect(p.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1); // then it stalls, on time: no grace
      expect((p.error as AttemptError).message).toMatch(/--idle-timeout/);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});

describe('attemptWithDeadlines: the signal made only when read', () => {
  /** An attempt that hears of its abort as the engine's transport does, from its watch, and never reads the signal. */
  function watched(attempt: AttemptWatch): Promise<never> {
    return new Promise((_, reject) => {
      const watcher: AbortWatcher = { handleEvent: () => reject(attempt.reason) };
      attempt.watch(watcher);
    });
  }

  it('times out an attempt that only watches, and a signal read after is aborted with its reason', async () => {
    let seen: AttemptWatch | undefined;
    const p = track(
      attemptWithDeadlines(
        (attempt) => {
          seen = attempt;
          expect(attempt.aborted).toBe(false);
          return watched(attempt);
        },
        { timeoutMs: 500 },
      ),
    );
    await vi.advanceTimersByTimeAsync(500);
    expect((p.error as AttemptError).type).toBe('timeout');
    expect(seen!.aborted).toBe(true);
    const signal = seen!.signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(seen!.reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a signal read before the abort aborts with it, as its listeners are told', async () => {
    const parent = new AbortController();
    const heard: unknown[] = [];
    const p = track(
      attemptWithDeadlines(
        (attempt) => {
          attempt.signal.addEventListener('abort', () => heard.push(attempt.signal.reason));
          return watched(attempt);
        },
        { timeoutMs: 1000, signal: parent.signal },
      ),
    );
    const why = new Error('interrupted');
    parent.abort(why);
    await vi.advanceTimersByTimeAsync(0);
    expect((p.error as AttemptError).type).toBe('aborted');
    expect(heard).toEqual([why]);
  });

  it("the engine's context gives its own watch without making the signal; a spread copy compares signals", () => {
    let made = 0;
    const aborts: AttemptWatch = {
      aborted: false,
      reason: undefined,
      get signal() {
        made++;
        return sameSignal;
      },
      onActivity: () => {},
      watch: () => {},
      unwatch: () => {},
    };
    const sameSignal = new AbortController().signal;
    const ctx = new WatchedContext(aborts, undefined);
    expect(abortsOf(ctx)).toBe(aborts);
    expect(made).toBe(0);
    // A wrapper's copy (sdk-complete's key scrubbing) keeps the signal by name: still the same watch.
    expect(abortsOf({ ...ctx, signal: ctx.signal })).toBe(aborts);
    // One that hands on a signal of its own is not watched this way.
    expect(abortsOf({ ...ctx, signal: new AbortController().signal })).toBeUndefined();
  });
});
