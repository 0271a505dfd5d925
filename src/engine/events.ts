import type { RowError } from '../types.js';

/** What the engine reports while it runs, for progress displays; rows themselves are yielded. */
export type BatchEvent =
  /** `seq`: the record's place among those the run read, from 0 (rows in input order come in it). */
  | { type: 'attempt'; id: string; attempt: number; prompt: string; seq: number; cell?: MatrixCell }
  | { type: 'delta'; id: string; attempt: number; text: string; cell?: MatrixCell }
  | { type: 'retry'; id: string; attempt: number; error: RowError; delayMs: number }
  /** An answer failed its schema (or was not JSON) and is asked again, with the problems appended. */
  | { type: 'reask'; id: string; attempt: number; problems: string[] }
  | { type: 'rate-limited'; id: string; pauseMs: number }
  /**
   * An answer's `x-ratelimit-remaining-*` header said a limit is used up: every request waits
   * `pauseMs` (a second or more), until its reset (not a 429: nothing failed). Also when nothing is
   * in flight and the pace holds the next request back a second or more (after a burst of 429s).
   */
  | { type: 'paused'; id: string; pauseMs: number }
  | { type: 'stopping'; reason: StopReason; message: string };

/**
 * Which answer of a record a matrix run (several models, --repeat) is getting: with the id, what
 * tells two answers to one prompt apart (a row's `requested_model` and `sample`).
 */
export interface MatrixCell {
  model: string;
  sample: number;
}

/**
 * `unreachable`: the first requests all failed the same endpoint-level way (see CircuitBreaker).
 * `response_format`: the server refused structured outputs; every other request would fail alike.
 * `budget`: --max-cost: the next prompt's worst case no longer fits.
 * `output_closed`: the rows' reader went away (`| head -1`); set by the consumer, never by the engine.
 * `output_failed`: a row could not be written (a full disk); set by the consumer, never by the engine.
 * `descriptors`: out of file descriptors (`ulimit -n`) with none of the run's requests in flight to
 * give one back: no prompt could be sent.
 */
export type StopReason =
  | 'auth'
  | 'proxy'
  | 'quota'
  | 'interrupted'
  | 'unreachable'
  | 'response_format'
  | 'budget'
  | 'output_closed'
  | 'output_failed'
  | 'descriptors';
