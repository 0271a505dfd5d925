import fs from 'node:fs';
import { ExitCode } from '../errors.js';
import { errnoCode } from '../util/error-message.js';
import { openFileLimit } from './fd-limit.js';

/**
 * The `ulimit -n` suggested: above what node needs to load the CLI (38 on node 20, 24 on node 22 with
 * its compile cache) and what the default `-c 8` keeps within (fdLimitFor(8), 56).
 */
const ENOUGH = 64;

/**
 * The line said when the process ran out of file descriptors before it could do anything (`ulimit
 * -n 30`: node reads the files a module imports all at once, so loading the CLI's code takes
 * dozens), or undefined for any other error. Said with exit 2 (see exitOnLoadFailure), not as an
 * internal error or node's dump of a failed import.
 */
export function tooFewFilesLine(err: unknown): string | undefined {
  if (errnoCode(err) !== 'EMFILE') return undefined;
  // Read while the loader's descriptors may still be open: then unknown.
  const limit = openFileLimit();
  const now = limit === undefined ? ' (ulimit -n)' : `: this process may open only ${limit} files (ulimit -n)`;
  return `llm-batch: out of file descriptors${now}; raise the limit (ulimit -n ${ENOUGH}) and run again\n`;
}

/** bin/'s import of the CLI failed: for want of descriptors, said in one line and exit 2; else thrown on. */
export function exitOnLoadFailure(err: unknown): never {
  const line = tooFewFilesLine(err);
  if (line === undefined) throw err;
  fs.writeSync(2, line);
  process.exit(ExitCode.usage);
}
