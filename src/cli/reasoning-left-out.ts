import type { ResultRow } from '../types.js';
import { counted } from '../util/group-digits.js';

/**
 * The answers written to a CSV with a reasoning model's thinking, which a CSV has no column for
 * (README: CSV columns). A live or --batch-api run, `--compact` and `merge` writing CSV say so once
 * at their end, a notice (-q silences it), rather than drop it without a word.
 */
export class ReasoningLeftOut {
  #answers = 0;

  /** `csv`: the rows go to a CSV; for any other format nothing is counted or said. */
  constructor(private readonly csv: boolean) {}

  add(row: Pick<ResultRow, 'reasoning'>): void {
    if (this.csv && row.reasoning) this.#answers++;
  }

  /** The line to say, or undefined when no answer written had any. */
  line(): string | undefined {
    if (this.#answers === 0) return undefined;
    return `${counted(this.#answers, 'answer')} came with the model's reasoning, which a CSV has no column for: write JSONL (-o out.jsonl) to keep it`;
  }
}
