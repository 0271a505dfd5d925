import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { sameFile } from '../util/same-file.js';
import { ownFdOf } from '../util/own-fd.js';
import { readBackFormat } from '../output/results-format.js';

/** `results.jsonl` → `results.html` (beside it). */
export function defaultReportPath(results: string): string {
  const ext = path.extname(results);
  return `${ext ? results.slice(0, -ext.length) : results}.html`;
}

/**
 * The results format: what the file holds (its metadata, its first bytes), else its extension (.csv
 * is CSV, anything else JSONL); shared with resume, --compact and merge (see readBackFormat).
 */
export function resultsFormat(file: string): 'jsonl' | 'csv' {
  return readBackFormat(file);
}

/** What a run's --report names as its source when the rows went to stdout. */
export const STDOUT_SOURCE = 'stdout';

const MARK = '<meta name="generator" content="llm-batch report">';

/**
 * A report may replace an earlier report (re-running `report` refreshes it) but no other file, unless
 * `overwrite`: a typo in `-o` must not clobber results or someone's page. `results`: set when the
 * report's name comes from its results file (`report out.csv` writes out.html); then an earlier
 * report of another results file of that name (out.jsonl's) is refused too, not silently replaced.
 */
export function checkReportTarget(target: string, flag: string, overwrite: boolean, notSameAs: Array<[string, string | undefined]>, results?: string): void {
  for (const [what, other] of notSameAs) {
    // By name or on disk: `-o latest.html` may be a link to the results themselves.
    if (other !== undefined && sameFile(target, other)) throw new UsageError(`${flag} ${target} is the ${what} file: choose another path`);
  }
  // An HTML page under a data file's name (`report out.jsonl -o rep.jsonl`) is read back as rows by the next tool.
  const ext = path.extname(target).toLowerCase();
  if (DATA_EXTENSIONS.has(ext)) throw new UsageError(`${flag} ${target}: a report is an HTML page, not "${ext}": name it .html`);
  // `/dev/stdout` into a log: written through the descriptor, after what is there (see ownFdOf).
  if (ownFdOf(target) !== undefined) return;
  const stat = statSync(target, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isDirectory()) throw new UsageError(`${flag} ${target}: is a directory`);
  if (overwrite || stat.size === 0) return;
  const head = readHead(target, HEAD_BYTES);
  if (!head.includes(MARK))
    throw new UsageError(`${flag} ${target} already exists and is not an llm-batch report: choose another path, or pass --overwrite to replace it`);
  const source = results === undefined ? undefined : reportSource(head);
  // Compared by file name: the report is beside its results, and its path is as it was given then.
  // A run's --report of rows sent to stdout names no file: refreshed as before.
  if (source !== undefined && source !== STDOUT_SOURCE && path.basename(source) !== path.basename(results!))
    throw new UsageError(
      `${target} is already the report of ${source}, not ${results} (both are reported there by default): choose another path with -o, or pass --overwrite to replace it`,
    );
}

/** Names of data files, which a report (HTML) must not take. */
const DATA_EXTENSIONS = new Set(['.jsonl', '.ndjson', '.csv', '.tsv', '.txt', '.json']);

/** Bytes of a report read to tell what it is: its data comes after the inline CSS (about 9 KB). */
const HEAD_BYTES = 64 * 1024;

/** The results file a report's data names (`source.path`), when its head holds it. */
function reportSource(head: string): string | undefined {
  const found =
    /<script id="report-data" type="application\/json">\{"version":1,"title":"(?:[^"\\]|\\.)*","generatedAt":"[^"]*","source":\{"path":("(?:[^"\\]|\\.)*")/.exec(
      head,
    );
  if (!found) return undefined;
  try {
    const source: unknown = JSON.parse(found[1]!);
    return typeof source === 'string' ? source : undefined;
  } catch {
    return undefined;
  }
}

/** The first `bytes` of a file as text; empty when it cannot be read. */
function readHead(file: string, bytes: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(bytes);
      const n = readSync(fd, head, 0, head.length, 0);
      return head.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}
