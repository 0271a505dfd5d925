import { judgeAnswer } from '../structured/judge-answer.js';
import type { AnswerCheck, InvalidKind } from '../structured/check-types.js';
import type { ResultRow } from '../types.js';

/** The answer-side half of structured output, which collected rows are checked with. */
export interface CollectedCheck {
  check: AnswerCheck;
  /** Re-asks allowed after an invalid answer (--json-retries). */
  retries: number;
  /** Whether an invalid answer may be re-asked live (--finish-live): a batch cannot hold a conversation. */
  reaskLive: boolean;
}

export type Judged = { kind: 'row'; row: ResultRow } | { kind: 'reask'; row: ResultRow; invalid: InvalidKind; problems: string[] };

/**
 * A collected answer through the same check as a live one (judgeAnswer): the parsed value as
 * `output`, or an `invalid_output` row keeping the raw text, or a re-ask the live engine makes.
 * Failed rows (HTTP errors) just get `output: null`, as live ones do.
 */
export function judgeCollected(row: ResultRow, refusal: string | undefined, o: CollectedCheck): Judged {
  if (row.error) return { kind: 'row', row: { ...row, output: null } };
  const verdict = judgeAnswer(row.response ?? '', row.finish_reason, o.check, refusal);
  if (verdict.ok) return { kind: 'row', row: { ...row, output: verdict.value } };
  if (!verdict.final && o.retries > 0 && o.reaskLive) return { kind: 'reask', row, invalid: verdict.kind, problems: verdict.problems };
  const reaskHint = verdict.final || o.retries === 0 ? '' : '; a batch cannot re-ask: --resume --retry-failed asks again, or use --finish-live';
  return {
    kind: 'row',
    row: {
      ...row,
      response: refusal && !row.response ? refusal : row.response,
      error: { type: 'invalid_output', message: `${verdict.message}${reaskHint}` },
      output: null,
    },
  };
}
