import { UsageError } from '../errors.js';
import type { PromptRecord } from '../types.js';

/**
 * A record as a caller builds it: `params` may be left out, for the run's model, temperature and
 * maxTokens (checkRecord makes it `{}`). What readRecords yields is one too.
 */
export type RecordInput = Omit<PromptRecord, 'params'> & { params?: PromptRecord['params'] };

/** What runBatch takes as its records: `readRecords(…)`, any async iterable, or an array (any iterable). */
export type BatchRecords = AsyncIterable<RecordInput> | Iterable<RecordInput>;

/**
 * The records as the pull reads them. An async iterable is used as it is (the CLI's readers: no layer
 * per record); an array or other iterable is read through an async generator. Anything else is a
 * UsageError thrown from the run, where the caller's try/catch sees it: the pull would otherwise fail
 * in the background, an unhandled rejection that ends the process.
 */
export function batchRecords(records: BatchRecords): AsyncIterable<PromptRecord> {
  const value = records as unknown;
  if (value !== null && typeof value === 'object') {
    if (typeof (value as Partial<AsyncIterable<PromptRecord>>)[Symbol.asyncIterator] === 'function') return value as AsyncIterable<PromptRecord>;
    if (typeof (value as Partial<Iterable<PromptRecord>>)[Symbol.iterator] === 'function') return fromIterable(value as Iterable<PromptRecord>);
  }
  const got = value === null ? 'null' : typeof value;
  throw new UsageError(`records must be an iterable or async iterable of prompt records (readRecords(…) or an array), got ${got}`);
}

async function* fromIterable(records: Iterable<PromptRecord>): AsyncGenerator<PromptRecord> {
  yield* records;
}
