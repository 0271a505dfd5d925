import { describe, expect, it } from 'vitest';
import { createStats } from '../../src/engine/stats.js';
import { RateMeter, formatBarLine, formatProgressLine, type ProgressSnapshot } from '../../src/ui/progress.js';

const ESC = /\x1b/;

function snap(over: Partial<ProgressSnapshot>): ProgressSnapshot {
  return {
    done: 0,
    ok: 0,
    failed: 0,
    skipped: 0,
    total: undefined,
    inFlight: 0,
    requestsPerSecond: 0,
    tokensPerSecond: 0,
    etaSeconds: undefined,
    pausedMs: undefined,
    ...over,
  };
}

describe('formatProgressLine', () => {
  it('reads like the brief: done/total, ok and failed, req/s, ETA', () => {
    const line = formatProgressLine(snap({ done: 1200, ok: 1190, failed: 10, total: 5000, requestsPerSecond: 38.24, etaSeconds: 100 }));
    expect(line).toBe('1,200/5,000 done (1,190 ok, 10 failed) · 38.2 req/s · ETA 1m40s');
  });

  it('has no total or ETA for stdin, and no ETA once everything is done', () => {
    expect(formatProgressLine(snap({ done: 7, ok: 7, requestsPerSecond: 2 }))).toBe('7 done (7 ok, 0 failed) · 2.0 req/s');
    expect(formatProgressLine(snap({ done: 5, ok: 5, total: 5, etaSeconds: 0 }))).not.toMatch(/ETA/);
  });

  it('stopping: says so instead of an ETA for prompts that will not run', () => {
    const line = formatProgressLine(snap({ done: 10, ok: 10, total: 50, requestsPerSecond: 2, etaSeconds: 20, stopping: true }));
    expect(line).toBe('10/50 done (10 ok, 0 failed) · 2.0 req/s · stopping');
    expect(formatBarLine(snap({ done: 10, ok: 10, total: 50, inFlight: 1, etaSeconds: 20, stopping: true }), 100)).toMatch(/ · stopping · 1 in flight$/);
    expect(formatBarLine(snap({ done: 10, ok: 10, total: 50, inFlight: 1, etaSeconds: 20, stopping: true }), 100)).not.toMatch(/ETA/);
  });

  it('counts resumed records as done and says so, and shows a rate-limit pause', () => {
    const line = formatProgressLine(snap({ done: 30, ok: 10, skipped: 20, total: 50, etaSeconds: 5, pausedMs: 1234 }));
    expect(line).toBe('30/50 done (10 ok, 0 failed, 20 from the earlier run) · 0.0 req/s · ETA 5s · rate limited, waiting 1.3s');
    expect(line).not.toMatch(ESC);
    // Rounded up: the pause's last moments said "waiting 0.0s".
    expect(formatProgressLine(snap({ done: 1, ok: 1, pausedMs: 20 }))).toMatch(/rate limited, waiting 0\.1s$/);
    expect(formatProgressLine(snap({ done: 1, ok: 1, pausedMs: 2000 }))).toMatch(/rate limited, waiting 2\.0s$/);
  });
});

describe('RateMeter', () => {
  it('measures recent rates and an ETA from finished rows (not resumed ones)', () => {
    const stats = createStats(0);
    const meter = new RateMeter(stats, 10_000);
    stats.skipped = 100;
    let p = meter.snapshot(0, 1100);
    expect(p).toMatchObject({ done: 100, total: 1100, requestsPerSecond: 0, etaSeconds: undefined });
    for (let t = 1000; t <= 20_000; t += 1000) {
      stats.requests += 12;
      stats.ok += 10;
      stats.promptTokens += 500;
      p = meter.snapshot(t, 1100);
    }
    expect(p.done).toBe(300);
    expect(p.requestsPerSecond).toBeCloseTo(12, 5);
    expect(p.tokensPerSecond).toBeCloseTo(500, 5);
    expect(p.etaSeconds).toBeCloseTo(80, 5); // 800 left at 10 rows/s
  });

  it("says no absurd rate in the run's first moments: over a second at least", () => {
    const stats = createStats(0);
    const meter = new RateMeter(stats);
    stats.requests = 1;
    expect(meter.snapshot(24, 10).requestsPerSecond).toBe(1);
    stats.requests = 40;
    expect(meter.snapshot(500, 10).requestsPerSecond).toBe(40);
    expect(meter.snapshot(2000, 10).requestsPerSecond).toBeCloseTo(39 / 1.976, 5);
    // No ETA from the first second's figures ("ETA 29s" on a 1.7 s run); one after it.
    const fresh = createStats(0);
    const early = new RateMeter(fresh);
    fresh.requests = 2;
    fresh.ok = 1;
    expect(early.snapshot(300, 30).etaSeconds).toBeUndefined();
    fresh.ok = 20;
    expect(early.snapshot(1500, 30).etaSeconds).toBeGreaterThan(0);
  });

  it('follows a change of pace within its window', () => {
    const stats = createStats(0);
    const meter = new RateMeter(stats, 5000);
    for (let t = 1000; t <= 10_000; t += 1000) {
      stats.requests += 100;
      meter.snapshot(t, undefined);
    }
    for (let t = 11_000; t <= 20_000; t += 1000) {
      stats.requests += 10;
      meter.snapshot(t, undefined);
    }
    expect(meter.snapshot(20_000, undefined).requestsPerSecond).toBeCloseTo(10, 5);
  });

  it('while pacing to the server limit, counts on no faster pace than that limit for the ETA', () => {
    const stats = createStats(0);
    const meter = new RateMeter(stats);
    // A burst of 10 rows in the first second, then the server's limit (60/min) holds the rest back.
    stats.requests = 10;
    stats.ok = 10;
    stats.serverPacePerMinute = 60;
    const p = meter.snapshot(1000, 30);
    expect(p.etaSeconds).toBeCloseTo(20, 5); // 20 left at 1/s, not 2 s at the burst's 10/s
    delete stats.serverPacePerMinute;
    expect(meter.snapshot(1000, 30).etaSeconds).toBeLessThan(20);
  });

  it('counts a pause every request waits out into the ETA: nothing finishes before it ends', () => {
    const stats = createStats(0);
    const meter = new RateMeter(stats);
    stats.requests = 3;
    stats.ok = 3;
    // 3 rows in 1 s, 3 left: 1 s at that pace, after the 85 s the rate limit holds them.
    expect(meter.snapshot(1000, 6, 86_000).etaSeconds).toBeCloseTo(86, 5);
    expect(meter.snapshot(1000, 6).etaSeconds).toBeCloseTo(1, 5);
  });

  it('never shows a total below what is done, and reports a pause until it ends', () => {
    const stats = createStats(0);
    const meter = new RateMeter(stats);
    stats.ok = 12;
    expect(meter.snapshot(1000, 10).total).toBe(12);
    expect(meter.snapshot(1000, 10, 2500).pausedMs).toBe(1500);
    expect(meter.snapshot(3000, 10, 2500).pausedMs).toBeUndefined();
  });
});

describe('formatBarLine', () => {
  const running = snap({ done: 1200, ok: 1190, failed: 10, total: 5000, inFlight: 8, requestsPerSecond: 38.2, tokensPerSecond: 1234, etaSeconds: 100 });

  it('shows the bar, done/total, ok/failed, req/s, tok/s, ETA and in-flight on a wide terminal', () => {
    const line = formatBarLine(running, 140);
    expect(line).toMatch(/^█{7}░{23}  24% 1,200\/5,000 · 1,190 ok · 10 failed · 38\.2 req\/s · 1\.2k tok\/s · ETA 1m40s · 8 in flight$/);
  });

  it.each([100, 80, 60, 40, 20])('fits %d columns, dropping the least important parts first', (width) => {
    const line = formatBarLine(running, width);
    expect(line.length).toBeLessThanOrEqual(width);
    expect(line).toMatch(/1,200\/5,000/);
    if (width >= 40) expect(line).toMatch(/1,200\/5,000 · 1,190 ok · 10 failed/);
    if (width >= 60) expect(line).toMatch(/ETA 1m40s/);
    if (width >= 80) expect(line).toMatch(/^[█░]{10,}\s+24% /);
    if (width < 100) expect(line).not.toMatch(/tok\/s/);
  });

  it('names the records an earlier run did (a resume), and drops that part first when narrow', () => {
    const resumed = { ...running, done: 1203, skipped: 3 };
    expect(formatBarLine(resumed, 160)).toMatch(/ 1,203\/5,000 · 1,190 ok · 10 failed · 3 from the earlier run · 38\.2 req\/s · 1\.2k tok\/s · /);
    const narrower = formatBarLine(resumed, 120);
    expect(narrower).not.toMatch(/earlier run/);
    expect(narrower).toMatch(/tok\/s/);
    expect(formatBarLine(running, 160)).not.toMatch(/earlier run/);
  });

  it('has no bar, percentage or ETA without a total', () => {
    const line = formatBarLine({ ...running, total: undefined, etaSeconds: undefined }, 140);
    expect(line).toBe('1,200 done · 1,190 ok · 10 failed · 38.2 req/s · 1.2k tok/s · 8 in flight');
  });

  it('is full and ETA-free when everything is done', () => {
    const line = formatBarLine({ ...running, done: 5000, ok: 4990, etaSeconds: 0, inFlight: 0 }, 140);
    expect(line).toMatch(/^█{30} 100% 5,000\/5,000 · /);
    expect(line).not.toMatch(/ETA|░/);
  });
});

describe('formatBarLine across frames (a live bar)', () => {
  // At 58 columns (55 for the line) a 1,000-prompt run sits right at the edge: an ETA wobbling between 58s and 1m01s
  // decides whether the bar fits.
  const frames = Array.from({ length: 60 }, (_, i) =>
    snap({ done: 400 + i, ok: 400 + i, failed: 0, total: 1000, inFlight: 8, requestsPerSecond: 9.5, etaSeconds: i % 2 ? 58 : 61 }),
  );
  const flips = (shown: boolean[]) => shown.filter((x, i) => i > 0 && x !== shown[i - 1]).length;

  it('without a layout kept between frames, the bar comes and goes (the flicker)', () => {
    expect(flips(frames.map((p) => /[█░]/.test(formatBarLine(p, 55))))).toBeGreaterThan(10);
  });

  it('with one, a part dropped to fit stays dropped: the line keeps its shape', () => {
    const layout = { dropped: new Set<string>() };
    const lines = frames.map((p) => formatBarLine(p, 55, layout));
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(55);
    expect(flips(lines.map((l) => /[█░]/.test(l)))).toBeLessThanOrEqual(1);
    expect(new Set(lines.map((l) => l.replace(/[\d,.]+|ETA \S+/g, '#'))).size).toBe(1);
  });
});

describe("pacing to the server's announced limit", () => {
  it('the bar and the plain line say so', () => {
    const p = snap({ done: 10, ok: 10, failed: 0, total: 100, inFlight: 0, requestsPerSecond: 2.9, etaSeconds: 31, serverPacePerMinute: 176.4 });
    expect(formatBarLine(p, 140)).toMatch(/ · 0 in flight · pacing to 176\/min \(server limit\)$/);
    expect(formatBarLine(p, 60)).toMatch(/pacing to 176\/min \(server limit\)/);
    expect(formatProgressLine(p)).toMatch(/ · pacing to 176\/min \(server limit\)$/);
  });

  it('held by its token limit: the requests a minute that allows, named as the token limit', () => {
    const p = snap({
      done: 7,
      ok: 7,
      failed: 0,
      total: 8,
      inFlight: 0,
      requestsPerSecond: 0.2,
      etaSeconds: 6,
      serverPacePerMinute: 11.1,
      serverPaceByTokens: true,
    });
    expect(formatBarLine(p, 140)).toMatch(/pacing to 11\/min \(server token limit\)$/);
    expect(formatProgressLine(p)).toMatch(/ · pacing to 11\/min \(server token limit\)$/);
  });
});

describe('the ETA of a run a server holds to windows (300 a minute: 2 s of answers, then 58 s of waiting)', () => {
  /** Rows finish at 150/s for 2 s, then every request waits out the window to 60 s; 900 prompts. */
  const burstThenWait = () => {
    const stats = createStats(0);
    const meter = new RateMeter(stats);
    for (let t = 250; t <= 2000; t += 250) {
      stats.requests = stats.ok = (t / 2000) * 300;
      meter.snapshot(t, 900);
    }
    return { stats, meter };
  };
  /** From the wait's end to `until`, 10 rows a second and no more waits (the window gone). */
  const tenASecondAfterWait = ({ stats, meter }: ReturnType<typeof burstThenWait>, until: number) => {
    meter.snapshot(30_000, 900, 60_000);
    for (let t = 60_000; t <= until; t += 1000) {
      stats.requests = stats.ok = 300 + ((t - 60_000) / 1000) * 10;
      meter.snapshot(t, 900);
    }
    return meter;
  };

  it('counts the waits in, all through the wait, rather than drop the ETA once the recent pace is nothing', () => {
    const { meter } = burstThenWait();
    // 600 left at 300 a 60 s window: 120 s as the wait begins, counting down through it.
    for (const t of [2000, 10_000, 20_000, 40_000, 59_000])
      expect(meter.snapshot(t, 900, 60_000).etaSeconds, `at ${t} ms`).toBeCloseTo(120 - (t - 2000) / 1000, 0);
  });

  it('once rows flow again, counts on the recent pace: the window may be gone', () => {
    const meter = tenASecondAfterWait(burstThenWait(), 75_000);
    // 450 left at 10 a second; counting on the wait's 5 a second (the review's "ETA 1h06m" after a
    // wait with few rows before it) said twice that, for two minutes.
    expect(meter.snapshot(75_000, 900).etaSeconds).toBeCloseTo(45, 0);
  });

  it('a short pause after a long wait is a short pause: its own time, added to the recent pace', () => {
    const meter = tenASecondAfterWait(burstThenWait(), 90_000);
    // 300 left at 10 a second, and 1 s of pause.
    expect(meter.snapshot(90_000, 900, 91_000).etaSeconds).toBeCloseTo(31, 0);
  });

  it('a wait before any row (the window used up by a run before): no ETA in it, the recent pace after it', () => {
    const stats = createStats(0);
    const meter = new RateMeter(stats);
    for (let t = 2000; t < 60_000; t += 1000) expect(meter.snapshot(t, 900, 60_000).etaSeconds).toBeUndefined();
    for (let t = 60_000; t <= 75_000; t += 1000) {
      stats.requests = stats.ok = ((t - 60_000) / 1000) * 10;
      meter.snapshot(t, 900);
    }
    expect(meter.snapshot(75_000, 900).etaSeconds).toBeCloseTo(75, 0);
  });
});
