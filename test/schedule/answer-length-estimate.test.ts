import { describe, expect, it } from 'vitest';
import { AnswerLengthEstimate } from '../../src/schedule/answer-length-estimate.js';
import { RateGovernor } from '../../src/schedule/rate-governor.js';
import { backoffDelay } from '../../src/schedule/retry-policy.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { maxInWindow } from '../helpers/mock-server.js';
import { seededRandom } from '../helpers/seeded-random.js';

describe('AnswerLengthEstimate', () => {
  it('charges the guess until 16 answers are in, then their 95th percentile plus 10 %', () => {
    const estimate = new AnswerLengthEstimate(256);
    for (let i = 0; i < 15; i++) estimate.observe(6);
    expect(estimate.current()).toBe(256);
    expect(estimate.inUse).toBe(false);
    estimate.observe(6);
    expect(estimate.current()).toBe(7); // ceil(6 × 1.1)
    expect(estimate.inUse).toBe(true);
  });

  it('covers the long tail, not the mean: 1 answer in 20 of 100 tokens is below the 95th percentile', () => {
    const estimate = new AnswerLengthEstimate(256);
    for (let i = 0; i < 100; i++) estimate.observe(i % 10 === 0 ? 100 : 5);
    expect(estimate.current()).toBe(110);
  });

  it('learns longer answers than the guess too, and follows the recent ones (the last 256)', () => {
    const estimate = new AnswerLengthEstimate(256);
    for (let i = 0; i < 16; i++) estimate.observe(1000);
    expect(estimate.current()).toBe(1100);
    for (let i = 0; i < 256; i++) estimate.observe(20);
    expect(estimate.current()).toBe(22);
  });

  it('is re-sorted every 16 answers, not on every one', () => {
    const estimate = new AnswerLengthEstimate(256);
    for (let i = 0; i < 16; i++) estimate.observe(10);
    expect(estimate.current()).toBe(11);
    for (let i = 0; i < 15; i++) estimate.observe(500);
    expect(estimate.current()).toBe(11);
    estimate.observe(500);
    expect(estimate.current()).toBe(550);
  });

  it('goes back to the guess for good once distrusted', () => {
    const estimate = new AnswerLengthEstimate(256);
    for (let i = 0; i < 16; i++) estimate.observe(6);
    estimate.distrust();
    expect(estimate.current()).toBe(256);
    for (let i = 0; i < 64; i++) estimate.observe(6);
    expect(estimate.current()).toBe(256);
    expect(estimate.inUse).toBe(false);
  });

  it('ignores nonsense counts', () => {
    const estimate = new AnswerLengthEstimate(100, { minSamples: 1 });
    estimate.observe(Number.NaN);
    estimate.observe(-3);
    expect(estimate.current()).toBe(100);
    estimate.observe(0);
    expect(estimate.current()).toBe(1);
  });
});

interface ServerLimits {
  requests?: number;
  tokens: number;
}

/**
 * Virtual time: `workers` slots run `prompts` requests of PROMPT prompt tokens and no max_tokens,
 * each answered with ANSWER tokens after 50 ms, as run-batch does it. The server is the mock's limiter: it charges prompt + 16 for an unset
 * max_tokens in a sliding second, answers with x-ratelimit headers, and refuses with a precise wait.
 */
async function simulate(limits: ServerLimits, options: { learn: boolean; prompts?: number; workers?: number }) {
  const PROMPT = 12;
  const ANSWER = 6;
  const CHARGE = PROMPT + 16;
  const clock = new FakeClock();
  const random = seededRandom(11);
  const workers = options.workers ?? 64;
  const governor = new RateGovernor({ clock, initialRate: 4 * workers, firstWave: workers });
  const accepted: number[] = [];
  let refused = 0;
  let left = options.prompts ?? 300;
  let finishedAt = 0;
  const server = (now: number) => {
    const inWindow = accepted.filter((t) => t > now - 1000);
    const used = inWindow.length * CHARGE;
    const overRequests = limits.requests !== undefined && inWindow.length + 1 > limits.requests;
    const overTokens = used + CHARGE > limits.tokens;
    const headers = {
      limitRequests: limits.requests !== undefined ? limits.requests * 60 : undefined,
      limitTokens: limits.tokens * 60,
      remainingRequests: limits.requests !== undefined ? Math.max(0, limits.requests - inWindow.length - (overRequests || overTokens ? 0 : 1)) : undefined,
      remainingTokens: Math.max(0, limits.tokens - used - (overRequests || overTokens ? 0 : CHARGE)),
      resetRequestsMs: (inWindow[0] ?? now) + 1000 - now,
      resetTokensMs: (inWindow[0] ?? now) + 1000 - now,
    };
    if (overRequests || overTokens) return { ok: false as const, waitMs: Math.max(1, inWindow[0]! + 1000 - now), headers };
    accepted.push(now);
    return { ok: true as const, headers };
  };
  const worker = async () => {
    while (left > 0) {
      left--;
      for (let attempt = 1; ; attempt++) {
        // Priced at admission, as run-batch does: what is known when the request leaves.
        let cost = 0;
        const sentAt = await governor.acquire(governor.countsTokens ? () => (cost = PROMPT + governor.answerTokens()) : 0);
        const reply = server(sentAt);
        await clock.sleep(reply.ok ? 50 : 5);
        if (!reply.ok) {
          refused++;
          governor.onRateLimited({ sentAt, retryAfter: { ms: reply.waitMs, precise: true }, headers: reply.headers });
          await clock.sleep(backoffDelay(attempt, reply.waitMs, { random }));
          continue;
        }
        governor.onResponse({
          estimatedTokens: cost,
          actualTokens: PROMPT + ANSWER,
          answerTokens: options.learn ? ANSWER : undefined,
          headers: reply.headers,
        });
        finishedAt = Math.max(finishedAt, clock.now());
        break;
      }
    }
  };
  const running = Array.from({ length: workers }, worker);
  await clock.advance(120_000);
  await Promise.all(running);
  // The pace once the limits are known: requests accepted after the first second, per second.
  const late = accepted.filter((t) => t >= 1000);
  const perSecond = late.length / ((finishedAt - 1000) / 1000);
  if (process.env.SIM_DEBUG) {
    const perSec = new Map<number, number>();
    for (const t of accepted) perSec.set(Math.floor(t / 1000), (perSec.get(Math.floor(t / 1000)) ?? 0) + 1);
    console.log(JSON.stringify({ refused, finishedAt, perSecond: [...perSec.values()] }));
  }
  return { accepted: accepted.length, refused, perSecond, maxWindow: maxInWindow(accepted, 1000), answerTokens: governor.answerTokens() };
}

describe('RateGovernor with a token limit from the headers and no max_tokens (review R10)', () => {
  // The reviewer's case: 20 requests and 3000 tokens a second announced; ~28 tokens a request as
  // the server counts them, so the request limit binds (the token limit would allow ~100/s).
  const limits = { requests: 20, tokens: 3000 };

  it('runs at ≥ 90 % of the request limit once answers show they are short, never over either limit', async () => {
    const run = await simulate(limits, { learn: true });
    expect(run.accepted).toBe(300);
    expect(run.maxWindow).toBeLessThanOrEqual(20);
    expect(run.maxWindow * 28).toBeLessThanOrEqual(3000);
    expect(run.perSecond).toBeGreaterThanOrEqual(0.9 * 20);
    expect(run.answerTokens).toBe(7);
  });

  it('stays at about half the request limit when every answer is charged the 256-token guess (before)', async () => {
    const run = await simulate(limits, { learn: false });
    expect(run.accepted).toBe(300);
    expect(run.perSecond).toBeLessThan(0.6 * 20);
    expect(run.answerTokens).toBe(256);
  });

  it('goes back to the guess after a 429 the token limit gave, when the server charges an unset max_tokens more than answers use', async () => {
    // 2000 tokens a second, no request limit: charged 12 + 7 a request, the run would send ~100/s
    // where the server counts 28 each and allows ~71/s. The first 429s put the guess back.
    const run = await simulate({ tokens: 2000 }, { learn: true, prompts: 400 });
    expect(run.accepted).toBe(400);
    expect(run.answerTokens).toBe(256);
    expect(run.refused).toBeGreaterThan(0);
    expect(run.refused).toBeLessThanOrEqual(64); // one wave of slots at most, not one per request
  });

  it('keeps the learned length after a 429 the request limit gave (remaining-requests 0), not after one the tokens may have', async () => {
    const clock = new FakeClock();
    const governor = new RateGovernor({ clock });
    const headers = { limitRequests: 1200, limitTokens: 180_000 };
    for (let i = 0; i < 16; i++) governor.onResponse({ estimatedTokens: 268, actualTokens: 18, answerTokens: 6, headers });
    expect(governor.answerTokens()).toBe(7);
    governor.onRateLimited({ sentAt: 0, headers: { ...headers, remainingRequests: 0, remainingTokens: 2000 } });
    expect(governor.answerTokens()).toBe(7);
    governor.onRateLimited({ sentAt: 0, headers: { ...headers, remainingRequests: 4, remainingTokens: 10 } });
    expect(governor.answerTokens()).toBe(256);
  });

  it('learns nothing while no token limit is known, and starts from the guess it is given', async () => {
    const clock = new FakeClock();
    const governor = new RateGovernor({ clock, answerTokens: 100 });
    expect(governor.countsTokens).toBe(false);
    expect(governor.answerTokens()).toBe(100);
    // A 429 without a token budget in force says nothing about answer lengths.
    for (let i = 0; i < 16; i++) governor.onResponse({ estimatedTokens: 0, answerTokens: 6 });
    governor.onRateLimited({ sentAt: 0 });
    expect(governor.answerTokens()).toBe(7);
  });
});
