import fs from 'node:fs';
import { UsageError } from '../errors.js';
import { ownFdOf } from '../util/own-fd.js';

/** A summary is a few KB; a larger file is something else (results, a log). */
const MAX_SUMMARY_BYTES = 1_000_000;

/** Whether `file` holds an earlier `--summary-json`: a JSON object with the counts every summary has had. */
export function isEarlierSummary(file: string, size: number): boolean {
  if (size > MAX_SUMMARY_BYTES) return false;
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> | null;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const counts = ['ok', 'failed', 'requests', 'wallSeconds'].every((k) => typeof value[k] === 'number');
    return counts && typeof value['failedByType'] === 'object';
  } catch {
    return false;
  }
}

/**
 * --summary-json may replace an earlier summary (a nightly job writes the same name each night) but
 * no other file unless --overwrite: a slip of the tab key must not replace results or a spreadsheet
 * with a dozen lines of JSON, as --report already refuses to.
 */
export function checkSummaryTarget(file: string, overwrite: boolean): void {
  // `/dev/stdout` into a log: written through the descriptor, after what is there (see ownFdOf).
  if (ownFdOf(file) !== undefined) return;
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return; // unreadable: the writability check says why
  }
  if (!stat?.isFile() || stat.size === 0 || overwrite || isEarlierSummary(file, stat.size)) return;
  throw new UsageError(`--summary-json ${file} already exists and is not an llm-batch summary: choose another path, or pass --overwrite to replace it`);
}
