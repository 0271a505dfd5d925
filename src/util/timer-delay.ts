/**
 * The longest delay Node's timers hold (2^31 - 1 ms, about 24.8 days): a longer one is silently
 * replaced by 1 ms, so a wait meant to last a month would fire at once, again and again.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a timer can hold it: never negative, never past MAX_TIMER_MS (NaN waits nothing). */
export function timerDelay(ms: number): number {
  return ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
}
