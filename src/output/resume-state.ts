import { existsSync } from 'node:fs';
import type { ResultRow } from '../types.js';
import { readResults, type ReadOptions } from './read-results.js';
import { isTransientFailure } from './resume-policy.js';
import { csvStoredKey, rowKey } from './row-key.js';

/** What an earlier run already did, by row key (see `rowKey`). */
export interface ResumeState {
  /** Keys whose last row is a success: skip them. */
  succeeded: Set<string>;
  /** Keys whose last row is a permanent error (4xx, bad input…): re-run only with --retry-failed. */
  failed: Set<string>;
  /**
   * Of `failed`, keys whose last row finished since `retriedSince` (see RETRY_FAILED_SINCE_KEY): a
   * stopped --retry-failed run asked them again already, so its resume does not.
   */
  retried: Set<string>;
  /** Keys whose last row is a transient error (network, timeout, 429, 5xx): re-run by every resume. */
  transient: Set<string>;
  /** Complete rows read, superseded ones included. */
  rows: number;
  /**
   * Input lines whose row is an `input` error (a line that could not be read as a record). A row
   * for such a line that is not one replaces it whatever its id: the line was fixed, and an
   * id-less record's id changes with its content (see {@link staleInputErrors}).
   */
  inputErrorLines: Set<number>;
  /**
   * The file already holds rows a compaction leaves out (an earlier row for a key with a later one,
   * an input error whose line got a real row later): a resume killed before its compaction, or one
   * whose compaction hit a full disk. The next resume compacts it even if it writes no row.
   */
  superseded: boolean;
  /** A row says the model it was asked of or its sample: the file is of several models or --repeat. */
  tagged: boolean;
  /**
   * The largest input line of a row, when every row's line is at least the one before's (the file
   * is in input order, as --order input writes it); undefined when it is not, 0 for no row.
   */
  lastLineInOrder: number | undefined;
  /**
   * A row or record key in the form the file holds it, to look it up in the sets: a CSV cannot hold
   * a lone surrogate (see csvStoredKey), so without this such an id would be asked again by every resume.
   */
  keyOf: (key: string) => string;
}

/** A row that stands for an input line that could not be read as a record. */
export const isInputError = (row: Pick<ResultRow, 'error'>): boolean => row.error?.type === 'input';

/**
 * Reads a results file to find what is done. The file is append-only, so the LAST row for a key
 * wins: a later success replaces an earlier error and vice versa. A missing file is an empty
 * state (nothing done yet); a torn last row is ignored; a corrupt row throws RunError('resume').
 * `signal`: a stop (Ctrl-C, SIGTERM) ends the read at the next row, throwing its reason: a large
 * file takes seconds, and a run stopped then must not read on while it holds the output's lock.
 */
export async function loadResumeState(
  path: string,
  format: 'jsonl' | 'csv',
  options: ReadOptions = {},
  runModel?: string | null,
  signal?: AbortSignal,
  /** ISO time a --retry-failed run that stopped began (RETRY_FAILED_SINCE_KEY): fills `retried`. */
  retriedSince?: string,
): Promise<ResumeState> {
  const since = retriedSince === undefined ? NaN : Date.parse(retriedSince);
  const state: ResumeState = {
    succeeded: new Set(),
    failed: new Set(),
    retried: new Set(),
    transient: new Set(),
    rows: 0,
    inputErrorLines: new Set(),
    superseded: false,
    tagged: false,
    lastLineInOrder: 0,
    keyOf: format === 'csv' ? csvStoredKey : (key) => key,
  };
  if (!existsSync(path)) return state;
  const stale = staleInputErrors();
  signal?.throwIfAborted();
  for await (const row of readResults(path, format, options)) {
    signal?.throwIfAborted();
    stale.see(row, state.rows);
    state.rows++;
    if (state.lastLineInOrder !== undefined) state.lastLineInOrder = row.line >= state.lastLineInOrder ? row.line : undefined;
    if (!state.tagged && (Boolean(row.requested_model) || typeof row.sample === 'number')) state.tagged = true;
    const key = rowKey(row, runModel);
    state.succeeded.delete(key);
    state.failed.delete(key);
    state.retried.delete(key);
    state.transient.delete(key);
    if (row.error === null) state.succeeded.add(key);
    else if (isTransientFailure(row.error)) state.transient.add(key);
    else {
      state.failed.add(key);
      // A row without the time (an older file, a legacy CSV) counts as older: asked again, as before.
      if (typeof row.finished_at === 'string' && Date.parse(row.finished_at) >= since) state.retried.add(key);
    }
  }
  state.inputErrorLines = stale.openLines();
  // Every key is in exactly one of the sets: fewer keys than rows means a key has more than one row.
  state.superseded = state.rows > state.succeeded.size + state.failed.size + state.transient.size || stale.anyStale();
  return state;
}

/**
 * Follows `input` error rows through a results file, row by row: one is stale once a later row for
 * its line is not an input error. Fixing a broken line (then `--resume --force-resume`) gives the
 * record a new id, so its row does not replace the error by key; it does by line. Keeps only lines
 * that had an input error, so a file of a million good rows costs nothing here.
 */
export function staleInputErrors() {
  /** Line → index of its last input error row. */
  const errorAt = new Map<number, number>();
  /** Line → index of the last row after its input error that is not one. */
  const fixedAt = new Map<number, number>();
  const isStaleInputError = (line: number, index: number): boolean => (fixedAt.get(line) ?? -1) > index;
  return {
    see(row: Pick<ResultRow, 'error' | 'line'>, index: number): void {
      if (typeof row.line !== 'number') return;
      if (isInputError(row)) errorAt.set(row.line, index);
      else if (errorAt.has(row.line)) fixedAt.set(row.line, index);
    },
    /** Whether the row at `index` (seen before) is an input error that a later row replaced. */
    isStale(row: Pick<ResultRow, 'error' | 'line'>, index: number): boolean {
      return isInputError(row) && typeof row.line === 'number' && isStaleInputError(row.line, index);
    },
    /** isStale of an input error row of `line` at `index` (seen before), when the row itself is not kept. */
    isStaleInputError,
    /** Whether any input error row seen so far is stale. */
    anyStale(): boolean {
      return fixedAt.size > 0;
    },
    /** Lines whose last word is still an input error. */
    openLines(): Set<number> {
      const open = new Set<number>();
      for (const [line, at] of errorAt) if ((fixedAt.get(line) ?? -1) < at) open.add(line);
      return open;
    },
  };
}

/** Whether a key (of a record, or of a row to be written) has any row in the file (a new row for it supersedes that one). */
export function hasRow(state: ResumeState, key: string): boolean {
  const held = state.keyOf(key);
  return state.succeeded.has(held) || state.failed.has(held) || state.transient.has(held);
}
