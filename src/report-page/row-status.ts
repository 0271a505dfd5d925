import { cutOffAt } from '../finish-reason.js';

/** What a row's status badge says, and the classes its table row carries. */
export interface RowStatus {
  label: string;
  badge: 'ok' | 'warn' | 'bad';
  /** Space-separated facts: `failed`, `truncated`, `cached`. */
  classes: string;
}

/**
 * Every fact of a row at once: an answer from the cache that was cut at the token limit is both,
 * and a schema answer cut short failed because it was cut. Without an error the row is ok.
 */
export function rowStatus(error: string, finishReason: string, cached: boolean): RowStatus {
  const cut = cutOffAt(finishReason) !== undefined;
  if (error) {
    // `truncated` (--fail-truncated) names the cut itself.
    const label = cut && error !== 'truncated' ? `${error} (truncated)` : error;
    return { label, badge: 'bad', classes: cut ? 'failed truncated' : 'failed' };
  }
  const notes = [cached ? 'cache' : '', cut ? 'truncated' : ''].filter(Boolean);
  return {
    label: notes.length ? `ok (${notes.join(', ')})` : 'ok',
    badge: cut ? 'warn' : 'ok',
    classes: [cut ? 'truncated' : '', cached ? 'cached' : ''].filter(Boolean).join(' '),
  };
}
