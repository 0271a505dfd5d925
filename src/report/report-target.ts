import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { sameFile } from '../util/same-file.js';
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

const MARK = '<meta name="generator" content="llm-batch report">';

/**
 * A report may replace an earlier report (re-running `report` refreshes it) but no other file, unless
 * `overwrite`: a typo in `-o` must not clobber results or someone's page.
 */
export function checkReportTarget(target: string, flag: string, overwrite: boolean, notSameAs: Array<[string, string | undefined]>): void {
  for (const [what, other] of notSameAs) {
    // By name or on disk: `-o latest.html` may be a link to the results themselves.
    if (other !== undefined && sameFile(target, other)) throw new UsageError(`${flag} ${target} is the ${what} file: choose another path`);
  }
  const stat = statSync(target, { throwIfNoEntry: false });
  if (!stat) return;
  if (stat.isDirectory()) throw new UsageError(`${flag} ${target}: is a directory`);
  if (overwrite || stat.size === 0 || isReport(target)) return;
  throw new UsageError(`${flag} ${target} already exists and is not an llm-batch report: choose another path, or pass --overwrite to replace it`);
}

function isReport(file: string): boolean {
  try {
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(1024);
      const n = readSync(fd, head, 0, head.length, 0);
      return head.subarray(0, n).toString('utf8').includes(MARK);
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}
