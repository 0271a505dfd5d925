import { UsageError } from '../errors.js';
import { expandMatrix, isMatrix, type Matrix } from '../input/expand-matrix.js';
import type { PromptRecord } from '../types.js';
import { batchRecords, type BatchRecords } from './batch-records.js';
import { isModelName, shown } from './batch-options.js';
import { isPlainObject } from '../util/is-plain-object.js';

/**
 * expandMatrix as the library exports it: the matrix checked, as runBatch's options are (a `repeat`
 * of NaN or 0, or no model at all, made no record and the run ended as if every one had its row), and
 * the records of one model and one sample sent for that model: passed through as they were, they went
 * out as the run's `model`. Records that name their own model keep it, as in a matrix.
 */
export function expandRecords(records: BatchRecords, matrix: Matrix): AsyncGenerator<PromptRecord> {
  checkMatrix(matrix);
  const all = batchRecords(records);
  if (isMatrix(matrix)) return expandMatrix(all, matrix);
  return sentFor(all, matrix.models[0]!);
}

function checkMatrix(matrix: unknown): asserts matrix is Matrix {
  if (matrix === null || typeof matrix !== 'object') throw new UsageError(`matrix must be an object with models and repeat, got ${shown(matrix)}`);
  const { models, repeat, tagged } = matrix as Partial<Matrix>;
  if (!Array.isArray(models) || models.length === 0 || !models.every(isModelName)) {
    throw new UsageError(`matrix.models must be a non-empty array of model names, got ${shown(models)}`);
  }
  if (typeof repeat !== 'number' || !Number.isInteger(repeat) || repeat < 1) {
    throw new UsageError(`matrix.repeat must be a positive integer (samples per record and model), got ${shown(repeat)}`);
  }
  if (tagged !== undefined && typeof tagged !== 'boolean') throw new UsageError(`matrix.tagged must be true or false, got ${shown(tagged)}`);
}

/**
 * Each record sent for `model`, as an iterator of its own rather than a generator: a run that refuses
 * its options returns an iterator it never started, and a generator's `return()` would then end
 * only itself, leaving the records' file open (a refusal closes what it was given, README).
 */
function sentFor(records: AsyncIterable<PromptRecord>, model: string): AsyncGenerator<PromptRecord> {
  const inner = records[Symbol.asyncIterator]();
  const withModel = (record: PromptRecord): PromptRecord => {
    const params: unknown = isPlainObject(record) ? record['params'] : undefined;
    // As it is: one runBatch refuses (not an object, params not one), or one that names its own model.
    const asIs = !isPlainObject(record) || (params !== undefined && !isPlainObject(params)) || (isPlainObject(params) && params['model'] !== undefined);
    return asIs ? record : { ...record, params: { ...record.params, model } };
  };
  const iterator: AsyncGenerator<PromptRecord> = {
    async next() {
      const step = await inner.next();
      return step.done ? step : { done: false, value: withModel(step.value) };
    },
    async return(value?: unknown) {
      await inner.return?.(value);
      return { done: true, value: undefined };
    },
    async throw(err?: unknown) {
      if (inner.throw) return inner.throw(err);
      throw err;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
