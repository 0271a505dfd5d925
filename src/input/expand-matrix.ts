import type { PromptRecord } from '../types.js';
import { isPlainObject } from '../util/is-plain-object.js';

export interface Matrix {
  /** Models each record runs on; a record that names its own model runs on that one only. */
  models: readonly string[];
  /** Samples per (record, model). */
  repeat: number;
  /** Rows carry `sample` and `requested_model` even for one model and one sample (a resume asking another of its run's models). */
  tagged?: boolean;
}

/** Several models or samples: rows then carry `sample` and `requested_model`. */
export const isMatrix = (m: Matrix): boolean => new Set(m.models).size > 1 || m.repeat > 1 || m.tagged === true;

/**
 * One record per (record, model, sample), in that order, pulled lazily. A plain run (one model, one
 * sample) passes records through untouched, so its rows and keys stay as they always were; a
 * generator is handed back as it is, without a layer that would cost promises per record.
 */
export function expandMatrix(records: AsyncIterable<PromptRecord>, matrix: Matrix): AsyncGenerator<PromptRecord> {
  if (!isMatrix(matrix) && isAsyncGenerator(records)) return records;
  return expand(records, matrix);
}

function isAsyncGenerator(records: AsyncIterable<PromptRecord>): records is AsyncGenerator<PromptRecord> {
  const r = records as Partial<AsyncGenerator<PromptRecord>>;
  return typeof r.next === 'function' && typeof r.return === 'function' && typeof r.throw === 'function';
}

async function* expand(records: AsyncIterable<PromptRecord>, matrix: Matrix): AsyncGenerator<PromptRecord> {
  if (!isMatrix(matrix)) {
    yield* records;
    return;
  }
  // A set, as the CLI's -m A,A is: a model named twice was asked (and paid) twice, two rows alike.
  const models = [...new Set(matrix.models)];
  for await (const record of records) {
    if (!expandable(record)) {
      yield record; // one error row, not one per model
      continue;
    }
    if (record.params?.model !== undefined) {
      for (let sample = 0; sample < matrix.repeat; sample++) yield { ...record, sample, ownModel: true };
      continue;
    }
    for (const model of models) {
      for (let sample = 0; sample < matrix.repeat; sample++) {
        yield { ...record, params: { ...record.params, model }, sample };
      }
    }
  }
}

/**
 * How many records expandMatrix makes of `record`, for counting without making them: a count that
 * walked 3 records × --repeat 99999999999 one by one never yielded to signals (a stop's "N not run").
 */
export function cellsOf(record: PromptRecord, matrix: Matrix): number {
  if (!isMatrix(matrix) || !expandable(record)) return 1;
  return record.params?.model !== undefined ? matrix.repeat : new Set(matrix.models).size * matrix.repeat;
}

/**
 * A record with cells of its own: not one readRecords found bad, nor one a library host built that
 * runBatch refuses (not an object, `params` not an object). Those go through once, untouched, as
 * they do in a plain run, and runBatch says what is wrong; spread into cells they were a TypeError
 * here, or `params: "x"` became `{ 0: "x", model }`. `params` left out is the run's defaults, `{}`.
 */
function expandable(record: unknown): boolean {
  return isPlainObject(record) && record['problem'] === undefined && (record['params'] === undefined || isPlainObject(record['params']));
}
