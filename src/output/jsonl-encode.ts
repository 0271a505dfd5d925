import type { ResultRow } from '../types.js';
import { normalizeRow } from './row-shape.js';

/**
 * One JSONL line: keys in ResultRow order, ending in '\n'. JSON.stringify escapes newlines inside
 * strings, so the only '\n' is the terminator: a torn write can never look like a whole line.
 */
export function encodeJsonlRow(row: ResultRow): string {
  return JSON.stringify(normalizeRow(row)) + '\n';
}
