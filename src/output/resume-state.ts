import { existsSync } from 'node:fs';
import { readResults } from './read-results.js';

/** What an earlier run already did, by prompt id. */
export interface ResumeState {
  /** Ids whose last row is a success: skip them. */
  succeeded: Set<string>;
  /** Ids whose last row is an error: retry them (the new row is appended and wins). */
  failed: Set<string>;
  /** Complete rows read, superseded ones included. */
  rows: number;
}

/**
 * Reads a results file to find what is done. The file is append-only, so the LAST row for an id
 * wins: a later success replaces an earlier error and vice versa. A missing file is an empty
 * state (nothing done yet); a torn last row is ignored; a corrupt row throws RunError('resume').
 */
export async function loadResumeState(path: string, format: 'jsonl' | 'csv'): Promise<ResumeState> {
  const state: ResumeState = { succeeded: new Set(), failed: new Set(), rows: 0 };
  if (!existsSync(path)) return state;
  for await (const row of readResults(path, format)) {
    state.rows++;
    if (row.error === null) {
      state.failed.delete(row.id);
      state.succeeded.add(row.id);
    } else {
      state.succeeded.delete(row.id);
      state.failed.add(row.id);
    }
  }
  return state;
}
