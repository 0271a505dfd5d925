import type { RowError } from '../types.js';

/**
 * Failures that a later run may well not meet again: the network, a timeout, a rate limit, a quota
 * since topped up, the server's own 5xx, a run cut short. A plain --resume re-runs these; the
 * others (4xx, bad input, a malformed answer) fail the same way again, so they wait for
 * --retry-failed.
 */
export function isTransientFailure(error: Pick<RowError, 'type' | 'status'>): boolean {
  switch (error.type) {
    case 'connection':
    case 'timeout':
    case 'rate_limit':
    case 'quota':
    case 'aborted':
      return true;
    case 'http':
      return error.status === undefined || error.status >= 500 || error.status === 408 || error.status === 409;
    default:
      return false;
  }
}
