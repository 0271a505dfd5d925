import fs from 'node:fs';
import path from 'node:path';
import type { RunError } from '../errors.js';
import { outputSideFiles } from '../output/side-paths.js';
import { sameFile } from '../util/same-file.js';
import type { RawFlags } from './program.js';
import { refusedSummary, writeSummaryQuietly } from './refused-summary.js';
import { isEarlierSummary } from './summary-target.js';
import { unwritableReason } from './check-writable.js';
import { flagFiles } from './config.js';
import { untrustedLink } from '../util/untrusted-link.js';
import { workingDirProblem } from './working-dir.js';
import { isRowsStdout } from './rows-stdout.js';

/**
 * Where a run refused while its flags were resolved (a missing template file, `-o x.json`,
 * `--reasoning-effort ultra`) may say so, or undefined. Nothing checked the path yet, so only a
 * path that is plainly a summary's is taken: an earlier summary (or an empty file), or a new
 * regular file that can be made, and none of the files the command line names (the input, the
 * output and the files beside it, --report, --trace, -t @, -s @, --prices, --json-schema), nor through a
 * link another user planted (see untrustedLink). Anything else (a
 * device, stdout, a file of another kind) is left as it was: the refusal's line says enough.
 */
function refusedSummaryPath(inputArg: string | undefined, flags: RawFlags, stdoutFd: number | undefined): string | undefined {
  const file = flags.summaryJson;
  // --dry-run and --compact write no summary: with them --summary-json is itself refused.
  if (file === undefined || file.trim() === '' || file === '-' || flags.dryRun || flags.compact) return undefined;
  // Where the rows go, stdout (a file it is redirected to, too) is no summary's: refused as such.
  const rows = flags.output === undefined || flags.output === '-' ? { kind: 'stdout' } : { kind: 'file', path: flags.output };
  if (isRowsStdout(file, rows, stdoutFd)) return undefined;
  // No path can be compared (nor a relative one written) without a working directory: the line says it.
  if (workingDirProblem() !== undefined) return undefined;
  const named = [inputArg === '-' ? undefined : inputArg, flags.output, flags.report, flags.trace, ...flagFiles(flags).map(([, f]) => f)];
  const output = flags.output === undefined || flags.output.trim() === '' || flags.output === '-' ? [] : outputSideFiles(flags.output).map(([, f]) => f);
  if ([...named, ...output].some((other) => other !== undefined && other.trim() !== '' && sameFile(file, other))) return undefined;
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  if (stat === undefined) return /^\/(dev|proc|sys)\//.test(path.resolve(file)) || unwritableReason(file, 'direct') ? undefined : file;
  // Not through a link another user planted in a shared directory (see untrustedLink).
  return stat.isFile() && (stat.size === 0 || isEarlierSummary(file, stat.size)) && !untrustedLink(file) ? file : undefined;
}

/**
 * --summary-json of a run refused before its settings were whole, as writeRefusedSummary writes it
 * later on: `"stopped": "refused"`, every count zero, `error` and `exitCode`. Without it a cron
 * wrapper would read the last run's figures after `-t @prompt.tmpl` lost its file.
 */
export function writeRefusedFlagsSummary(
  inputArg: string | undefined,
  flags: RawFlags,
  environment: { env: NodeJS.ProcessEnv; stdoutFd?: number },
  err: RunError,
): void {
  const { env } = environment;
  const file = refusedSummaryPath(inputArg, flags, environment.stdoutFd);
  if (file === undefined) return;
  const input = inputArg === undefined || inputArg === '-' ? null : inputArg;
  writeSummaryQuietly(file, refusedSummary(err, env.OPENAI_API_KEY?.trim() || undefined, input, flags.model?.[0]));
}
