import { describe, expect, it } from 'vitest';
import { pollDelay } from '../../src/batch/poll-delay.js';

describe('pollDelay', () => {
  it.each([
    [0, 0, 800],
    [0, 1, 1200],
    [1, 0, 1600],
    [1, 1, 2400],
    [2, 0, 3200],
    [5, 1, 4000],
    [50, 1, 4000],
  ])('after %i failures with random %f: %i ms for --poll 1', (failures, random, expected) => {
    expect(pollDelay(1000, failures, () => random)).toBeCloseTo(expected, 6);
  });

  it('never waits more than 4 × --poll, so --poll 0.2 stays sub-second', () => {
    for (let f = 0; f < 20; f++) expect(pollDelay(200, f, Math.random)).toBeLessThanOrEqual(800);
  });
});

describe('pollDelay past what a timer holds', () => {
  // A poll of a month, backed off: Node would fire it after 1 ms, a status request every millisecond.
  it.each([0, 1, 5])('after %i failures, --poll of 30 days waits the longest a timer holds', (failures) => {
    expect(pollDelay(30 * 86_400_000, failures, () => 1)).toBe(2 ** 31 - 1);
  });
});
