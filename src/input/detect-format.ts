import { extname } from 'node:path';
import type { InputFormat } from './input-options.js';

const BY_EXTENSION = new Map<string, InputFormat>([
  ['.txt', 'txt'],
  ['.text', 'txt'],
  ['.prompts', 'txt'],
  ['.jsonl', 'jsonl'],
  ['.ndjson', 'jsonl'],
  ['.csv', 'csv'],
  ['.tsv', 'csv'],
  ['.json', 'json'],
]);

/**
 * The format implied by a file's extension (case-insensitive), or `undefined` when it implies none
 * (including `<stdin>`): the caller should then ask for an explicit format rather than guess.
 */
export function detectFormat(path: string): InputFormat | undefined {
  return BY_EXTENSION.get(extname(path).toLowerCase());
}
