import type { PromptRecord } from '../types.js';
import { csvStoredKey } from '../output/row-key.js';

/** An answer of the input that no output has a row for. */
export interface MissingAnswer {
  id: string;
  /** The model it is asked of; undefined when any would do (a record naming its own, an input error). */
  model?: string;
  sample: number;
}

/**
 * Which answers of a run the merged rows hold, checked against the input's records as the run
 * expands them (see expandMatrix): each record on each of the run's models (or on its own model),
 * `repeat` samples each. An input error is one row, whatever the models. Only keys are kept.
 */
export class AnswerCoverage {
  readonly #exact = new Set<string>();
  readonly #anyModel = new Set<string>();

  constructor(
    /** The run's models, sorted; empty when no output's metadata names one (then any model answers). */
    readonly models: readonly string[],
    readonly repeat: number,
    /**
     * An output is a CSV, whose ids hold a lone UTF-16 surrogate as U+FFFD (see csvStoredKey): ids
     * are compared as it holds them, and the input is read as for a CSV output (InputOptions.csvIds).
     */
    readonly csv = false,
  ) {}

  /** A row written, answering `model` (undefined: an output without metadata, whose model is not known). */
  add(row: { id: string; sample?: number }, model: string | undefined): void {
    const sample = row.sample ?? 0;
    const id = this.#held(row.id);
    if (model !== undefined) this.#exact.add(key(id, model, sample));
    this.#anyModel.add(key(id, '', sample));
    // Its model is not known: it answers whichever the record was asked of.
    if (model === undefined) this.#exact.add(key(id, '\u0000', sample));
  }

  /** The record's answers that have no row. */
  missing(record: Pick<PromptRecord, 'id' | 'params' | 'problem'>): MissingAnswer[] {
    const { id } = record;
    const held = this.#held(id);
    if (record.problem) return this.#anyModel.has(key(held, '', 0)) ? [] : [{ id, sample: 0 }];
    const out: MissingAnswer[] = [];
    const ownModel = record.params.model !== undefined || this.models.length === 0;
    for (let sample = 0; sample < this.repeat; sample++) {
      if (ownModel) {
        if (!this.#anyModel.has(key(held, '', sample))) out.push({ id, sample });
        continue;
      }
      for (const model of this.models) {
        if (!this.#exact.has(key(held, model, sample)) && !this.#exact.has(key(held, '\u0000', sample))) out.push({ id, model, sample });
      }
    }
    return out;
  }

  /** An id as the outputs hold it. */
  #held(id: string): string {
    return this.csv ? csvStoredKey(id) : id;
  }

  /** Several models or samples: answers, not ids, are what is counted. */
  get matrix(): boolean {
    return this.models.length > 1 || this.repeat > 1;
  }
}

const key = (id: string, model: string, sample: number) => `${id}\u0000${model}\u0000${sample}`;
