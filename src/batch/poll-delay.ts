import { timerDelay } from '../util/timer-delay.js';

/**
 * The wait before the next poll: `pollMs` ± 20 % jitter (many shards polling the same account
 * spread out), doubled per consecutive failed poll but never past 4 × `pollMs`, so a short
 * `--poll` stays short even through an outage; never past what a timer holds (a longer one fires at once).
 */
export function pollDelay(pollMs: number, failures: number, random: () => number = Math.random): number {
  const backoff = Math.min(4, 2 ** Math.max(0, failures));
  const jitter = 0.8 + 0.4 * random();
  return timerDelay(Math.min(4 * pollMs, pollMs * backoff * jitter));
}
