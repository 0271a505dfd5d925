import { isRetryable } from '../schedule/retry-policy.js';
import type { RowError } from '../types.js';

/**
 * Failures that a later run may well not meet again: whatever the retry policy retries (the
 * network, timeouts, 429s, 5xx, 408/409, garbled bodies), plus a quota since topped up and a run cut
 * short. A plain --resume re-runs these; the others (4xx, bad input, a truncated answer) fail the
 * same way again, so they wait for --retry-failed.
 */
export function isTransientFailure(error: Pick<RowError, 'type' | 'status'>): boolean {
  return error.type === 'quota' || error.type === 'aborted' || isRetryable(error.type, error.status);
}
