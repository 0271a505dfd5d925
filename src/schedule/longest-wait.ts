/**
 * The longest wait a server's rate-limit headers may ask of a run: 2 minutes. Per-minute limits
 * reset within a minute, so a longer wait (`retry-after: 3600`, `x-ratelimit-reset-tokens: 6h0m0s`)
 * is an hourly or daily limit used up (Groq's tokens per day), or a misread: no run sits it out.
 */
export const LONGEST_WAIT_MS = 120_000;

/** Whether a wait the server asks for is past LONGEST_WAIT_MS. */
export const pastLongestWait = (ms: number): boolean => ms > LONGEST_WAIT_MS;
