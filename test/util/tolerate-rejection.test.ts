import { afterEach, describe, expect, it } from 'vitest';
import { onUnhandledWhileHeld, setHandBack, tolerateWhileHeld } from '../../src/util/tolerate-rejection.js';

const ours = () => process.listeners('unhandledRejection').filter((listener) => listener === onUnhandledWhileHeld).length;

/** Runs `check` with the process's other 'unhandledRejection' listeners (vitest's) taken off. */
function alone(check: () => void): void {
  const others = process.listeners('unhandledRejection').filter((listener) => listener !== onUnhandledWhileHeld);
  for (const listener of others) process.off('unhandledRejection', listener);
  try {
    check();
  } finally {
    for (const listener of others) process.on('unhandledRejection', listener);
  }
}

describe('tolerateWhileHeld (the library: an open response store)', () => {
  const releases: Array<() => void> = [];
  afterEach(() => {
    for (const release of releases.splice(0)) release();
  });
  const hold = (matches: (reason: unknown) => boolean) => {
    const release = tolerateWhileHeld(matches);
    releases.push(release);
    return release;
  };
  const tolerated = new Error('Commit failed (see commitError for details)');
  const other = new Error('the app’s own');

  it('tolerates what it is held for; throws nothing else while a host app listens itself', () => {
    hold((reason) => reason === tolerated);
    expect(ours()).toBe(1);
    expect(() => onUnhandledWhileHeld(tolerated)).not.toThrow();
    const appListener = () => {};
    process.on('unhandledRejection', appListener);
    try {
      // The app's listener gets it too, and decides: ours does not end the app.
      expect(() => onUnhandledWhileHeld(other)).not.toThrow();
    } finally {
      process.off('unhandledRejection', appListener);
    }
  });

  it('alone, hands what it does not tolerate back to node (it threw it: see library-rejections.test.ts)', () => {
    hold((reason) => reason === tolerated);
    const handed: unknown[] = [];
    const restore = setHandBack((reason) => handed.push(reason));
    try {
      alone(() => {
        expect(() => onUnhandledWhileHeld(tolerated)).not.toThrow();
        expect(() => onUnhandledWhileHeld(other)).not.toThrow();
      });
    } finally {
      restore();
    }
    expect(handed).toEqual([other]);
  });

  it('goes with its last release, once per holder', () => {
    const matches = (reason: unknown) => reason === tolerated;
    const first = tolerateWhileHeld(matches);
    const second = tolerateWhileHeld(matches);
    expect(ours()).toBe(1);
    first();
    first();
    expect(ours()).toBe(1);
    second();
    expect(ours()).toBe(0);
  });
});
