import { describe, expect, it } from 'vitest';
import { LOADING_PROBE_MS, LoadingWaits } from '../../src/engine/model-loading.js';
import { FakeClock, settle } from '../helpers/fake-clock.js';

/** A waiter's outcome: 'waiting' until one of its callbacks runs. */
function waiter() {
  const seen = { state: 'waiting' as 'waiting' | 'resumed' | 'cancelled' };
  return { seen, resume: () => (seen.state = 'resumed'), cancel: () => (seen.state = 'cancelled') };
}

describe('LoadingWaits', () => {
  it('probes with one waiter a second, and sends everyone once the model has loaded', async () => {
    const clock = new FakeClock();
    const waits = new LoadingWaits(clock, new AbortController().signal);
    const [a, b, c] = [waiter(), waiter(), waiter()];
    for (const w of [a, b, c]) expect(waits.hold('m', w.resume, w.cancel)).toBe(true);
    await clock.advance(LOADING_PROBE_MS);
    expect([a, b, c].map((w) => w.seen.state)).toEqual(['resumed', 'waiting', 'waiting']);
    waits.loaded('m');
    expect([b, c].map((w) => w.seen.state)).toEqual(['resumed', 'resumed']);
  });

  it('a stop cancels who waits, and holds nothing after it: no tick would come to end the wait', async () => {
    const clock = new FakeClock();
    const stop = new AbortController();
    const waits = new LoadingWaits(clock, stop.signal);
    const first = waiter();
    expect(waits.hold('m', first.resume, first.cancel)).toBe(true);
    stop.abort();
    await settle();
    expect(first.seen.state).toBe('cancelled');
    // A request sent before the stop that answers "Loading model" now: not held, so its record ends.
    const late = waiter();
    expect(waits.hold('m', late.resume, late.cancel)).toBe(false);
    await clock.advance(10 * LOADING_PROBE_MS);
    expect(late.seen.state).toBe('waiting');
  });
});
