import type { AnswerCheck } from './check-types.js';

/**
 * Structured answers as the engine sees them: what goes into every request, how an answer is
 * checked, and how often an invalid one is re-asked. Built by the CLI (see cli/structured-setup.ts)
 * or by a library user; the engine knows nothing of files or flags.
 */
export interface StructuredOutput {
  /** Sent as `response_format` with every request (live and Batch API lines); absent with --schema-in-prompt. */
  readonly responseFormat?: Record<string, unknown>;
  /** A system message put before the record's own messages; the user's prompt is never edited. */
  readonly instructions?: string;
  /** JSON mode: say "JSON" in a system message when no message does (OpenAI refuses json_object otherwise). */
  readonly jsonHint?: boolean;
  /** Parses and validates one answer (compiled once). */
  readonly check: AnswerCheck;
  /** Re-asks after an invalid answer, each one more attempt of the same record. @default 2 */
  readonly retries: number;
}

/** The request-side half, which the body builder needs. */
export type StructuredRequest = Pick<StructuredOutput, 'responseFormat' | 'instructions' | 'jsonHint'>;
