import { UsageError } from '../errors.js';
import type { PromptRecord } from '../types.js';
import { readJsonlRecords } from './jsonl-reader.js';
import type { InputOptions, InputSource } from './options.js';
import { readTextRecords } from './text-reader.js';

/**
 * Reads prompts lazily: a record is produced only when the consumer pulls it, so a slow consumer
 * (the scheduler) applies backpressure all the way to the file, and memory stays flat for any size.
 *
 * Malformed rows are not thrown: they come out as records with `problem` set, in input order, so every
 * input line gets a result row. What is thrown (always a `RunError`) is input that cannot be read at all:
 * an unreadable source, an empty CSV, a CSV header that does not fit the options. For CSV those are
 * thrown before any record is yielded. Stopping early (`break`, `return()`) closes the source.
 */
export async function* readRecords(input: InputSource, options: InputOptions): AsyncGenerator<PromptRecord> {
  switch (options.format) {
    case 'txt':
      return yield* readTextRecords(input, options);
    case 'jsonl':
      return yield* readJsonlRecords(input, options);
    case 'csv': {
      // Loaded only for CSV input (csv-parse is not on the start-up path of other runs).
      const { readCsvRecords } = await import('./csv-reader.js');
      return yield* readCsvRecords(input, options);
    }
    default:
      throw new UsageError(`unknown input format ${JSON.stringify(options.format as unknown)} (expected txt, jsonl or csv)`);
  }
}
