import { describe, expect, it } from 'vitest';
import { foregroundCheck, inForeground, recheckedForeground } from '../../src/ui/foreground.js';

/** /proc/self/stat of a process named `comm` in group `pgrp`, on terminal `ttyNr` whose foreground group is `tpgid`. */
const stat = (comm: string, pgrp: number, ttyNr: number, tpgid: number) => () =>
  `4242 (${comm}) S 4000 ${pgrp} 4000 ${ttyNr} ${tpgid} 4194304 1207 0 0 0 3 1 0 0 20 0 11 0 8112 0\n`;
const PTS3 = (136 << 8) | 3;

describe('inForeground', () => {
  it.each([
    ['node', 4242, 4242, true],
    ['node', 4242, 4000, false],
    // The command name may hold spaces and parentheses: the fields are counted after the last ')'.
    ['a) S 1 7 7 34819 7 (b', 4242, 4000, false],
    ['a) S 1 7 7 34819 7 (b', 4242, 4242, true],
  ])('comm %j, pgrp %d, terminal foreground group %d: %s', (comm, pgrp, tpgid, expected) => {
    expect(inForeground(PTS3, stat(comm, pgrp, PTS3, tpgid))).toBe(expected);
  });

  it('cannot tell without /proc, without a controlling terminal, or for another terminal than it', () => {
    expect(inForeground(PTS3, () => undefined)).toBeUndefined();
    expect(inForeground(PTS3, () => 'garbage')).toBeUndefined();
    expect(inForeground(PTS3, stat('node', 4242, 0, -1))).toBeUndefined();
    expect(inForeground(PTS3, stat('node', 4242, (136 << 8) | 4, 4000))).toBeUndefined();
  });
});

describe('recheckedForeground', () => {
  it('reads /proc at most every 250 ms, and takes "cannot tell" as foreground', () => {
    let now = 0;
    let reads = 0;
    let tpgid = 4242;
    const check = recheckedForeground(
      PTS3,
      () => now,
      () => {
        reads++;
        return tpgid === 0 ? undefined : stat('node', 4242, PTS3, tpgid)();
      },
    );
    expect(check()).toBe(true);
    tpgid = 4000; // sent to the background
    now = 249;
    expect([check(), check(), reads]).toEqual([true, true, 1]);
    now = 250;
    expect([check(), check(), reads]).toEqual([false, false, 2]);
    tpgid = 0;
    now = 500;
    expect(check()).toBe(true);
  });
});

describe('foregroundCheck', () => {
  it('always may draw on a stream that is not a terminal or has no descriptor (a test double)', () => {
    expect(foregroundCheck({ isTTY: false, fd: 2 })()).toBe(true);
    expect(foregroundCheck({ isTTY: true })()).toBe(true);
  });
});
