import type { PromptRecord, ResultRow } from '../types.js';

/**
 * What makes two rows "the same prompt" for resume and compaction: the last row per key wins.
 * One place, so widening the key (say to id + model + sample) changes both at once.
 */
export function rowKey(row: Pick<ResultRow, 'id'>): string {
  return row.id;
}

/** The key a record's row will have. */
export function recordKey(record: Pick<PromptRecord, 'id'>): string {
  return rowKey(record);
}
