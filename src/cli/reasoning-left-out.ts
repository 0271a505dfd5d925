import { counted } from '../util/group-digits.js';

/**
 * The line that says a CSV left out the reasoning `answers` answers came with: a CSV has no column
 * for a reasoning model's thinking (README: CSV columns). A live or --batch-api run, `--compact` and
 * `merge` writing CSV say it once at their end, a notice (-q silences it), rather than drop it
 * without a word. Undefined when no answer had any.
 */
export function reasoningLeftOut(answers: number): string | undefined {
  if (answers === 0) return undefined;
  return `${counted(answers, 'answer')} came with the model's reasoning, which a CSV has no column for: write JSONL (-o out.jsonl) to keep it`;
}
