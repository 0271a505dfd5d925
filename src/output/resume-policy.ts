import { isTransientHttp } from '../errors.js';
import type { RowError } from '../types.js';

/**
 * Failures that a later run may well not meet again: what the retry policy retries (the network,
 * timeouts, 429s, 5xx, 408/409, Groq's 498, garbled bodies), plus a quota since topped up and a run
 * cut short.
 * A plain --resume re-runs these; the others (4xx, bad input, a truncated answer) fail the same way
 * again, so they wait for --retry-failed. (Kept in step with schedule/retry-policy by a test: the
 * output layer may not import the scheduler; both take the statuses from errors.ts.)
 */
export function isTransientFailure(error: Pick<RowError, 'type' | 'status' | 'code'>): boolean {
  switch (error.type) {
    case 'connection':
    case 'timeout':
    case 'rate_limit':
    case 'bad_response':
    case 'quota':
    case 'aborted':
      return true;
    case 'http':
      return isTransientHttp(error.status, error.code);
    default:
      return false;
  }
}
