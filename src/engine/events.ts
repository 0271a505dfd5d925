import type { RowError } from '../types.js';

/** What the engine reports while it runs, for progress displays; rows themselves are yielded. */
export type BatchEvent =
  | { type: 'attempt'; id: string; attempt: number; prompt: string }
  | { type: 'delta'; id: string; attempt: number; text: string }
  | { type: 'retry'; id: string; attempt: number; error: RowError; delayMs: number }
  /** An answer failed its schema (or was not JSON) and is asked again, with the problems appended. */
  | { type: 'reask'; id: string; attempt: number; problems: string[] }
  | { type: 'rate-limited'; id: string; pauseMs: number }
  | { type: 'stopping'; reason: StopReason; message: string };

/**
 * `unreachable`: the first requests all failed the same endpoint-level way (see CircuitBreaker).
 * `response_format`: the server refused structured outputs; every other request would fail alike.
 * `budget`: --max-cost: the next prompt's worst case no longer fits.
 * `output_closed`: the rows' reader went away (`| head -1`); set by the consumer, never by the engine.
 * `output_failed`: a row could not be written (a full disk); set by the consumer, never by the engine.
 */
export type StopReason = 'auth' | 'proxy' | 'quota' | 'interrupted' | 'unreachable' | 'response_format' | 'budget' | 'output_closed' | 'output_failed';
