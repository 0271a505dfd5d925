import { existsSync } from 'node:fs';
import { readResults, type ReadOptions } from './read-results.js';
import { isTransientFailure } from './resume-policy.js';
import { rowKey } from './row-key.js';

/** What an earlier run already did, by row key (see `rowKey`). */
export interface ResumeState {
  /** Keys whose last row is a success: skip them. */
  succeeded: Set<string>;
  /** Keys whose last row is a permanent error (4xx, bad input…): re-run only with --retry-failed. */
  failed: Set<string>;
  /** Keys whose last row is a transient error (network, timeout, 429, 5xx): re-run by every resume. */
  transient: Set<string>;
  /** Complete rows read, superseded ones included. */
  rows: number;
}

/**
 * Reads a results file to find what is done. The file is append-only, so the LAST row for a key
 * wins: a later success replaces an earlier error and vice versa. A missing file is an empty
 * state (nothing done yet); a torn last row is ignored; a corrupt row throws RunError('resume').
 */
export async function loadResumeState(path: string, format: 'jsonl' | 'csv', options: ReadOptions = {}, runModel?: string | null): Promise<ResumeState> {
  const state: ResumeState = { succeeded: new Set(), failed: new Set(), transient: new Set(), rows: 0 };
  if (!existsSync(path)) return state;
  for await (const row of readResults(path, format, options)) {
    state.rows++;
    const key = rowKey(row, runModel);
    state.succeeded.delete(key);
    state.failed.delete(key);
    state.transient.delete(key);
    if (row.error === null) state.succeeded.add(key);
    else if (isTransientFailure(row.error)) state.transient.add(key);
    else state.failed.add(key);
  }
  return state;
}

/** Whether a key has any row in the file (a new row for it supersedes that one). */
export function hasRow(state: ResumeState, key: string): boolean {
  return state.succeeded.has(key) || state.failed.has(key) || state.transient.has(key);
}
