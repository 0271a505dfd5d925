import type { PromptRecord, ResultRow } from '../types.js';

/** Which answer a line asks for: a model × sample run's (id, model, sample), else the id alone. */
export interface LineAnswer {
  id: string;
  model?: string;
  sample?: number;
}

/**
 * A line's `custom_id`: the record's id for a plain run (the public contract, and what older
 * manifests hold), and for a model × sample record the JSON array `[id, model, sample]`, which
 * parses back exactly whatever characters the id holds and is unique per answer of a batch.
 */
export function customIdOf(answer: LineAnswer): string {
  return answer.sample === undefined ? answer.id : JSON.stringify([answer.id, answer.model ?? '', answer.sample]);
}

/** The answer a record asks for. */
export const recordAnswer = (record: Pick<PromptRecord, 'id' | 'params' | 'sample'>): LineAnswer =>
  record.sample === undefined ? { id: record.id } : { id: record.id, model: record.params.model ?? '', sample: record.sample };

/** The answer a row is (a live row of --finish-live, or a collected one). */
export const rowAnswer = (row: Pick<ResultRow, 'id' | 'requested_model' | 'sample'>): LineAnswer =>
  row.sample === undefined ? { id: row.id } : { id: row.id, model: row.requested_model ?? '', sample: row.sample };

/** The fields a row of this answer carries beyond a plain row's, as a live matrix row has them. */
export const answerFields = (answer: LineAnswer): { requested_model?: string; sample?: number } =>
  answer.sample === undefined ? {} : { requested_model: answer.model ?? '', sample: answer.sample };
