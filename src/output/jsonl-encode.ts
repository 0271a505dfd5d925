import { stringifyExact } from '../structured/exact-numbers.js';
import type { ResultRow } from '../types.js';
import { normalizeRow } from './row-shape.js';

/**
 * One JSONL line: keys in ResultRow order, ending in '\n'. JSON.stringify escapes newlines inside
 * strings, so the only '\n' is the terminator: a torn write can never look like a whole line.
 * An answer's and an input field's long numbers are written as the model or the input wrote them
 * (see structured/exact-numbers.ts).
 */
export function encodeJsonlRow(row: ResultRow): string {
  return stringifyExact(normalizeRow(row), [row.output, row.input]) + '\n';
}
