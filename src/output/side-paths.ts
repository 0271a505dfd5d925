/**
 * The files a run keeps beside its output, named in one place: the writers of each, and the check
 * that no other file the user names (--summary-json, --report, --trace) lands on one of them.
 *
 * They sit beside the file the output lands on once symlinks are followed (`-o latest.jsonl`, a link
 * to `out.jsonl`, keeps `out.jsonl.meta.json`), so a run through a link and one through the real path
 * share one lock and one resume state. A path with no link on the way keeps its typed form (messages
 * name what the user typed), and so does a link to something that is not a regular file (/dev/stdout).
 */
import fs from 'node:fs';
import path from 'node:path';
import { landingPath } from '../util/same-file.js';

/** /dev/stdout leads to /proc/N/fd/pipe:[…]: a name no message should show, and no place for files. */
const SPECIAL = /^\/(dev|proc)\//;

/** The output with links followed, or as typed when no link is on the way or it lands on no regular file. */
function landingBase(output: string): string {
  if (SPECIAL.test(path.resolve(output))) return output;
  const landing = landingPath(output);
  if (landing === path.resolve(output) || SPECIAL.test(landing)) return output;
  try {
    const stat = fs.statSync(landing, { throwIfNoEntry: false });
    return stat && !stat.isFile() ? output : landing;
  } catch {
    return output;
  }
}

/** Whether a run's resume state (settings or Batch manifest) is kept beside `base`. */
const hasState = (base: string): boolean => fs.existsSync(`${base}.meta.json`) || fs.existsSync(`${base}.batch.json`);

/**
 * The name the resume state's side files are kept under. Older versions followed the path as typed:
 * a run one left beside a link (latest.jsonl.meta.json) is still continued there, through that link,
 * as long as nothing is kept beside the real file (a run through the real path does not see it).
 */
function stateBase(output: string): string {
  const base = landingBase(output);
  return base !== output && !hasState(base) && hasState(output) ? output : base;
}

/** The run's settings, compared on --resume. */
export const metaPath = (output: string): string => `${stateBase(output)}.meta.json`;

/** Held while a run writes the output: always beside the real file, whatever an older run left. */
export const lockPath = (output: string): string => `${landingBase(output)}.lock`;

/** The Batch API run's manifest: its chunks and batches. */
export const manifestPath = (output: string): string => `${stateBase(output)}.batch.json`;

/** The Batch API run's request files, beside its manifest. */
export const chunkDirPath = (output: string): string => `${stateBase(output)}.batch.d`;

/**
 * The side files of `output` that a run writes and a resume reads, named as messages name them: no
 * file a user names beside a run (--summary-json, --report, --trace) or for `report -o` may be one.
 */
export function outputSideFiles(output: string): Array<[string, string]> {
  return [
    ['run settings', metaPath(output)],
    ['lock', lockPath(output)],
    ['batch manifest', manifestPath(output)],
  ];
}
