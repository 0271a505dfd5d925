import { AttemptError } from '../provider/completion.js';
import { LONGEST_WAIT_MS, pastLongestWait } from '../schedule/longest-wait.js';
import type { RetryAfter } from '../schedule/rate-headers.js';

/**
 * A 429 whose `retry-after`/`retry-after-ms` asks for more than LONGEST_WAIT_MS, as the stop it
 * is; undefined for any other. Such a wait is an hourly or daily limit used up (Groq's tokens per
 * day: `retry-after: 3600`, "Please try again in 1h0m0s"): every prompt would meet it, and each
 * retry waited the whole of it, so a run sat for hours saying nothing. It stops as an exhausted
 * quota does (exit 3, `--resume` once the limit resets), the line saying how long the server asked.
 */
export function waitTooLong(error: AttemptError, retryAfter: RetryAfter | undefined): AttemptError | undefined {
  if (error.type !== 'rate_limit' || retryAfter === undefined || !pastLongestWait(retryAfter.ms)) return undefined;
  const header = retryAfter.precise ? 'retry-after-ms' : 'retry-after';
  const said = error.message.replace(/[.\s]+$/, '');
  const message = `${said}; the server asks to wait ${waitText(retryAfter.ms)} (${header}), more than the ${LONGEST_WAIT_MS / 60_000} minutes a run waits for a rate limit`;
  return new AttemptError('rate_limit', message, { ...error.info, stop: 'quota' });
}

/** `5 minutes`, `60 minutes`, `1.5 hours`, `24 hours`. */
function waitText(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  return minutes < 90 ? `${minutes} minutes` : `${+(ms / 3_600_000).toFixed(1)} hours`;
}
