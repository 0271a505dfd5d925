import { statSync } from 'node:fs';
import { formatFromPath, type OutputFormat } from './output-format.js';
import { peek } from './peek-file.js';
import { OUTPUT_FORMAT_KEY, readRunMeta } from './run-meta.js';

const FORMATS: readonly OutputFormat[] = ['jsonl', 'csv', 'text'];

/**
 * What a results file's first bytes show: JSONL rows start with `{`, an llm-batch CSV with its
 * header's `id,` (past a UTF-8 BOM). Undefined for an empty, missing or unreadable file, one that is
 * no regular file (a FIFO is never read here), and anything else (a text output, a torn first line).
 */
export function sniffResultsFormat(path: string): 'jsonl' | 'csv' | undefined {
  let start: string;
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.size === 0) return undefined;
    start = peek(path, 0, 6).toString('latin1');
  } catch {
    return undefined;
  }
  if (start.startsWith('\xef\xbb\xbf')) start = start.slice(3);
  return start.startsWith('{') ? 'jsonl' : start.startsWith('id,') ? 'csv' : undefined;
}

/** The format `OUT.meta.json` says the run wrote; undefined when it says none (older runs) or cannot be read. */
export function recordedOutputFormat(path: string): OutputFormat | undefined {
  let value: unknown;
  try {
    value = readRunMeta(path)?.[OUTPUT_FORMAT_KEY];
  } catch {
    return undefined; // damaged metadata: whoever checks the run's settings says so
  }
  return FORMATS.find((format) => format === value);
}

/**
 * The format an existing results file holds, from what it is rather than its name: a text output
 * (its metadata says so: its first bytes could be anything, `{` too), else what its first bytes
 * show, else what its metadata records. Undefined when neither tells (then the name decides).
 */
export function storedResultsFormat(path: string): OutputFormat | undefined {
  const recorded = recordedOutputFormat(path);
  if (recorded === 'text') return recorded;
  return sniffResultsFormat(path) ?? recorded;
}

/** The format of a results file: what it holds (see storedResultsFormat), else what its extension names. */
export function resultsFileFormat(path: string): OutputFormat | undefined {
  return storedResultsFormat(path) ?? formatFromPath(path);
}

/**
 * The format to read a results file back in (merge, report, cancel, a --batch-api output's rows):
 * CSV when it is one, else JSONL, whose reader names the first line that is not a row.
 */
export function readBackFormat(path: string): 'jsonl' | 'csv' {
  return resultsFileFormat(path) === 'csv' ? 'csv' : 'jsonl';
}
