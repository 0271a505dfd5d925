import { writeWholeFile } from '../util/own-fd.js';
import { ExitCode } from '../errors.js';
import { writeProblem } from '../util/path-words.js';

/**
 * Writes --summary-json at the end of a run (live or --batch-api), with how the run ends: `exitCode`,
 * and `error`, the line that said why it stopped or failed as a whole (null when nothing did: a
 * prompt's failure is in `failed`, an interrupted run's in `stopped`), as a refused run's summary
 * has them. Written again when a --report that cannot be written turns the code into 2. A failure here (a full
 * disk, the directory removed meanwhile) is said in one line and turns a clean exit code into a
 * usage error: every row is written, only the summary is missing. A stop's own code (3, 75, 130:
 * "resume me") says more than this and is kept.
 */
export function writeSummaryJson(file: string, summary: object, code: number, error: string | null, say: (line: string) => void): number {
  // Made outside the try: a bug in making it is no write failure ("cannot write --summary-json").
  const text = `${JSON.stringify({ ...summary, error, exitCode: code }, null, 2)}\n`;
  try {
    writeWholeFile(file, text);
    return code;
  } catch (err) {
    say(`cannot write --summary-json ${file}: ${writeProblem(err, file)}`);
    return code === ExitCode.ok || code === ExitCode.someFailed ? ExitCode.usage : code;
  }
}
