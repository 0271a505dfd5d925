import { it } from 'vitest';
import { RateGovernor } from '../../src/schedule/rate-governor.js';
import { backoffDelay } from '../../src/schedule/retry-policy.js';
import { FakeClock } from '../helpers/fake-clock.js';

function seededRandom(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function sim(limit: number, windowMs: number, conc: number, prompts: number, latency: number, seed: number, rpm: number | undefined, p: number) {
  const clock = new FakeClock();
  const governor = new RateGovernor({ clock, initialRate: 4 * conc, firstWave: conc, ...(rpm ? { rpm } : {}) });
  const random = seededRandom(seed);
  const flaky = seededRandom(seed + 99);
  const accepted: number[] = [];
  let refused = 0,
    failed = 0,
    left = prompts,
    finishedAt = 0,
    slots = conc;
  const waitSlot = async () => {
    while (slots === 0) await clock.sleep(1);
    slots--;
  };
  const server = (now: number) => {
    if (p > 0 && flaky() < p) return { ok: false as const, waitMs: 200 };
    const inWindow = accepted.filter((t) => t > now - windowMs);
    if (inWindow.length >= limit) return { ok: false as const, waitMs: inWindow[inWindow.length - limit]! + windowMs - now };
    accepted.push(now);
    return { ok: true as const };
  };
  const record = async () => {
    await waitSlot();
    for (let attempt = 1; ; attempt++) {
      const sentAt = await governor.acquire(0);
      const reply = server(sentAt);
      if (!reply.ok) {
        refused++;
        const retryAfter = { ms: Math.max(1, Math.ceil(reply.waitMs / 1000)) * 1000, precise: false };
        governor.onRateLimited({ sentAt, retryAfter });
        if (attempt > 3) {
          failed++;
          slots++;
          return;
        }
        slots++;
        await clock.sleep(backoffDelay(attempt, retryAfter.ms, { random }));
        await waitSlot();
        continue;
      }
      await clock.sleep(latency);
      governor.onResponse({ estimatedTokens: 0 });
      finishedAt = Math.max(finishedAt, clock.now());
      slots++;
      return;
    }
  };
  const all: Promise<void>[] = [];
  const feeder = async () => {
    while (left > 0) {
      while (slots === 0) await clock.sleep(1);
      left--;
      all.push(record());
      await clock.sleep(0);
    }
  };
  const f = feeder();
  await clock.advance(Math.min((prompts * 4 * windowMs) / limit, 1e6) + 3_000_000);
  await f;
  await Promise.all(all);
  return { refused, failed, finishedAt };
}

it('sim', async () => {
  const [limit, win, conc, prompts, lat, rpm, p] = (process.env.SIM ?? '1,1000,4,30,50').split(',').map(Number);
  for (let seed = 1; seed <= Number(process.env.SEEDS ?? 5); seed++) {
    const r = await sim(limit!, win!, conc!, prompts!, lat!, seed, rpm || undefined, p ?? 0);
    console.log(JSON.stringify(r));
  }
}, 600_000);
