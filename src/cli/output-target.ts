import fs from 'node:fs';
import { RunError } from '../errors.js';
import { acquireLock, openFileWriter, streamWriter, writeRunMeta, type LockHandle, type RowWriter } from '../output/index.js';
import type { StopReason } from '../engine/events.js';
import { checkWritableFile } from './check-writable.js';
import type { CliConfig } from './config.js';
import type { CliIo } from './io.js';
import { replaceOnFirstRow, type ReplaceOnFirstRow } from './replace-on-first-row.js';
import { loadResumeSkip, type ResumeSkip } from './resume-skip.js';
import { describeRun } from './run-identity.js';

export interface OutputTarget {
  writer: RowWriter;
  lock: LockHandle | undefined;
  /** With --resume: whether a record already has a row, and whether that row is an error. */
  skip: ResumeSkip | undefined;
  /** With --overwrite of a non-empty file: replaced at the first row, or by `replace()` at the end. */
  pending?: ReplaceOnFirstRow;
}

/** The output must not be the input under another name (a symlink or hard link): it would be clobbered. */
function refuseSameFile(config: CliConfig, output: string): void {
  if (config.input.kind !== 'file') return;
  try {
    const a = fs.statSync(config.input.path);
    const b = fs.statSync(output);
    if (a.dev === b.dev && a.ino === b.ino) {
      throw new RunError(`--output ${output} is the input file ${config.input.path} (same file on disk): choose another path`, 'usage');
    }
  } catch (err) {
    if (err instanceof RunError) throw err; // a missing output is fine
  }
}

/**
 * Where rows go: the answer printer, stdout, or a results file, which is checked, locked, and with
 * --resume read back for the ids it already answered.
 */
export async function openOutputTarget(config: CliConfig, io: CliIo, inputFingerprint: string | null, answerPrinter: RowWriter | undefined): Promise<OutputTarget> {
  const out = config.output;
  if (out.kind === 'terminal') return { writer: answerPrinter!, lock: undefined, skip: undefined };
  if (out.kind === 'stdout') return { writer: streamWriter(io.stdout, out.format), lock: undefined, skip: undefined };

  refuseSameFile(config, out.path);
  checkWritableFile(out.path, '--output');
  const exists = fs.existsSync(out.path) && fs.statSync(out.path).size > 0;
  if (exists && !config.resume && !config.overwrite) {
    throw new RunError(`${out.path} already exists: pass --resume to continue it, or --overwrite to replace it (nothing was changed)`, 'output');
  }
  const lock = acquireLock(out.path);
  try {
    const current = describeRun(config, inputFingerprint);
    const skip = config.resume && exists && out.format !== 'text' ? await loadResumeSkip(config, out.path, out.format, current) : undefined;
    const open = () => {
      writeRunMeta(out.path, current);
      return openFileWriter(out.path, out.format, { append: config.resume });
    };
    if (exists && !config.resume) {
      const pending = replaceOnFirstRow(open);
      return { writer: pending, lock, skip, pending };
    }
    return { writer: open(), lock, skip };
  } catch (err) {
    lock.release();
    throw err;
  }
}

/**
 * Closes the writer. A finished run replaces the old file even with no rows (an empty input); a
 * stopped one keeps it. Returns whether the old file was kept.
 */
export async function closeOutputTarget(config: CliConfig, target: OutputTarget, stopped: StopReason | undefined, info: (line: string) => void): Promise<boolean> {
  if (!stopped) target.pending?.replace();
  const oldFileKept = target.pending !== undefined && !target.pending.replaced;
  if (oldFileKept && config.output.kind === 'file') {
    info(`${config.output.path} is left as it was: the run stopped before its first row`);
  }
  await target.writer.close();
  return oldFileKept;
}
