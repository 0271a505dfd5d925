import { extname } from 'node:path';

/** The three output formats. Only `jsonl` and `csv` can be read back (resume, compact). */
export type OutputFormat = 'jsonl' | 'csv' | 'text';

const BY_EXTENSION: Readonly<Record<string, OutputFormat>> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.csv': 'csv',
  '.txt': 'text',
};

/** Guesses the format from the file extension (case-insensitive); `undefined` when it is not one we know. */
export function formatFromPath(path: string): OutputFormat | undefined {
  return BY_EXTENSION[extname(path).toLowerCase()];
}
