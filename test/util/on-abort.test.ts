import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onAbort } from '../../src/util/on-abort.js';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('onAbort', () => {
  it('shares one listener on a signal however many wait on it (11 runs on one signal warned MaxListenersExceeded)', () => {
    const controller = new AbortController();
    const called: number[] = [];
    const releases = Array.from({ length: 20 }, (_, i) => onAbort(controller.signal, () => called.push(i)));
    expect(listeners(controller.signal)).toBe(1);
    for (const release of releases.slice(0, 10)) release();
    expect(listeners(controller.signal)).toBe(1);
    controller.abort();
    expect(called).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('takes its listener off with the last release; the same fn twice is two waits', () => {
    const controller = new AbortController();
    let calls = 0;
    const fn = () => calls++;
    const first = onAbort(controller.signal, fn);
    const second = onAbort(controller.signal, fn);
    first();
    first();
    expect(listeners(controller.signal)).toBe(1);
    second();
    expect(listeners(controller.signal)).toBe(0);
    const third = onAbort(controller.signal, fn);
    controller.abort();
    third();
    expect(calls).toBe(1);
  });

  it('calls at once on an aborted signal; one callback that throws does not keep the others from running', async () => {
    const aborted = AbortSignal.abort();
    let now = 0;
    onAbort(aborted, () => now++)();
    expect(now).toBe(1);
    const controller = new AbortController();
    const ran: string[] = [];
    onAbort(controller.signal, () => {
      throw new Error('one of them');
    });
    onAbort(controller.signal, () => ran.push('after'));
    const thrown = new Promise<unknown>((resolve) => {
      const previous = process.listeners('uncaughtException');
      for (const l of previous) process.off('uncaughtException', l);
      process.once('uncaughtException', (err) => {
        for (const l of previous) process.on('uncaughtException', l);
        resolve(err);
      });
    });
    controller.abort();
    expect(ran).toEqual(['after']);
    expect(await thrown).toMatchObject({ message: 'one of them' });
  });
});
