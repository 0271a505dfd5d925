import fs from 'node:fs';
import { ExitCode } from '../errors.js';
import { errnoCode } from '../util/error-message.js';
import { openFileLimit } from '../util/open-file-limit.js';
import { ENOUGH_OPEN_FILES } from '../util/path-words.js';

/**
 * The line said when the process ran out of file descriptors before it could do anything (`ulimit
 * -n 30`: node reads the files a module imports all at once, so loading the CLI's code takes
 * dozens), or undefined for any other error. Said with exit 2 (see exitOnLoadFailure), not as an
 * internal error or node's dump of a failed import.
 */
export function tooFewFilesLine(err: unknown): string | undefined {
  if (errnoCode(err) !== 'EMFILE') return undefined;
  // Read while the loader's descriptors may still be open: then unknown.
  return `llm-batch: out of file descriptors${openFilesSaid()}; raise the limit (ulimit -n ${ENOUGH_OPEN_FILES}) and run again\n`;
}

/**
 * The stop line of a run that loaded but had no descriptor left for a request (a `descriptors`
 * stop: `ulimit -n` a few above what loading takes, or every descriptor the limit allows held by the
 * process). What it did not send, a resume sends.
 */
export function noDescriptorsStopLine(limit = openFileLimit()): string {
  if (limit !== undefined && limit >= ENOUGH_OPEN_FILES)
    return `out of file descriptors: all ${limit} that ulimit -n allows are open, and none was left for a request; a higher limit lets it send the rest`;
  return `out of file descriptors${openFilesSaid(limit)}: none was left for a request; raise the limit (ulimit -n ${ENOUGH_OPEN_FILES}) to send the rest`;
}

function openFilesSaid(limit = openFileLimit()): string {
  return limit === undefined ? ' (ulimit -n)' : `: this process may open only ${limit} files (ulimit -n)`;
}

/** bin/'s import of the CLI failed: for want of descriptors, said in one line and exit 2; else thrown on. */
export function exitOnLoadFailure(err: unknown): never {
  const line = tooFewFilesLine(err);
  if (line === undefined) throw err;
  fs.writeSync(2, line);
  process.exit(ExitCode.usage);
}
