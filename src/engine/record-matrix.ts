import { UsageError } from '../errors.js';
import { expandMatrix, type Matrix } from '../input/expand-matrix.js';
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
  if (matrix.models.length > 1 || matrix.repeat > 1 || matrix.tagged === true) return expandMatrix(all, matrix);
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

async function* sentFor(records: AsyncIterable<PromptRecord>, model: string): AsyncGenerator<PromptRecord> {
  for await (const record of records) {
    const params: unknown = isPlainObject(record) ? record['params'] : undefined;
    // As it is: one runBatch refuses (not an object, params not one), or one that names its own model.
    const asIs = !isPlainObject(record) || (params !== undefined && !isPlainObject(params)) || (isPlainObject(params) && params['model'] !== undefined);
    yield asIs ? record : { ...record, params: { ...record.params, model } };
  }
}
