import fs from 'node:fs';
import { ExitCode } from '../errors.js';

/**
 * Writes --summary-json at the end of a run (live or --batch-api). A failure there (a full disk, the
 * directory removed meanwhile) is said in one line and turns a clean exit code into a usage error:
 * every row is written, only the summary is missing. A stop's own code (3, 75, 130: "resume me")
 * says more than this and is kept.
 */
export function writeSummaryJson(file: string, summary: object, code: number, error: (line: string) => void): number {
  try {
    fs.writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    return code;
  } catch (err) {
    error(`cannot write --summary-json ${file}: ${(err as Error).message}`);
    return code === ExitCode.ok || code === ExitCode.someFailed ? ExitCode.usage : code;
  }
}
