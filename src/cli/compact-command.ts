import fs from 'node:fs';
import { ExitCode, RunError } from '../errors.js';
import {
  compactResults,
  csvLayoutFromFile,
  OUTPUT_FORMAT_KEY,
  PLAIN_CSV,
  readBackFormat,
  readRunMeta,
  writeRunMeta,
  type CsvLayout,
  type LockHandle,
  type OutputFormat,
} from '../output/index.js';
import { lockReplacedOutput } from './lock-replaced-output.js';
import type { CliConfig } from './config.js';
import { withSafeMessages } from './safe-messages.js';
import type { CliIo } from './io.js';
import { checkWritableFile } from './check-writable.js';
import { unreadableReason } from './path-problem.js';
import { csvLayoutOfJsonl } from './stored-csv-columns.js';
import { isStreamTarget } from './stream-target.js';
import { openWholeOutput, writeWhole } from './replacing-writer.js';
import { counted } from '../util/group-digits.js';
import { ReasoningLeftOut } from './reasoning-left-out.js';
import { sayingSourceLines } from './source-line-error.js';
import { tornRowNote, writtenNowNote } from './written-now.js';
import { aboveReadProgress, readProgressFor } from './read-progress-for.js';
import type { ReadProgress } from '../ui/file-progress.js';
import { filesSize } from '../util/file-size.js';

/** `--compact`: rewrites a results file keeping the last row per answer (id, model, sample), to -o or stdout. */
export function runCompact(config: CliConfig, io: CliIo): Promise<number> {
  return sayingSourceLines('--compact', () => compact(config, withSafeMessages(io)));
}

async function compact(config: CliConfig, io: CliIo): Promise<number> {
  if (config.input.kind !== 'file') throw new RunError('--compact needs a results file as input, not stdin', 'usage');
  // What the file holds, not its name (`-o r.csv -f jsonl` wrote JSONL): see resultsFileFormat.
  const format = readBackFormat(config.input.path);
  const unreadable = unreadableReason(config.input.path);
  if (unreadable) throw new RunError(`cannot read input file ${config.input.path}: ${unreadable}`, 'input');
  const meta = readRunMeta(config.input.path);
  // A CSV written with --csv-escape-formulas says so in its metadata; its cells are read back unescaped.
  const escaped = format === 'csv' && meta?.['csvEscapeFormulas'] === true;
  const out = config.output;
  const outFormat = out.kind === 'terminal' ? format : out.format;
  // `-o /dev/stdout`, `/dev/null`, a FIFO: a stream, as for a run's -o; never truncated, nothing to replace.
  const stream = out.kind === 'file' && isStreamTarget(out.path);
  // In the words a run's --output has: a path that cannot be looked up, a missing directory.
  if (out.kind === 'file' && !stream) checkWritableFile(out.path, '--output');
  const say = (line: string) => {
    if (!config.quiet) io.stderr.write(`llm-batch: ${line}\n`);
  };
  // A file a run is writing is refused, --overwrite or not; one being compacted into refuses a run.
  const lock = out.kind === 'file' && !stream ? lockReplacedOutput(out.path, say) : undefined;
  try {
    return await compactLocked(config, io, { path: config.input.path, format, meta, escaped, outFormat }, lock);
  } finally {
    lock?.release();
  }
}

interface CompactInput {
  path: string;
  /** What the input file holds. */
  format: 'jsonl' | 'csv';
  meta: Record<string, unknown> | undefined;
  /** Its cells were written with --csv-escape-formulas. */
  escaped: boolean;
  outFormat: OutputFormat;
}

/** The compacted copy, written (to a file only while `lock` is held: see lockReplacedOutput). */
async function compactLocked(
  config: CliConfig,
  io: CliIo,
  { path: input, format, meta, escaped, outFormat }: CompactInput,
  lock: LockHandle | undefined,
): Promise<number> {
  const out = config.output;
  if (lock && out.kind === 'file' && fs.existsSync(out.path) && !config.overwrite)
    throw new RunError(`${out.path} already exists: pass --overwrite to replace it (nothing was changed)`, 'output');
  const layout = outFormat === 'csv' ? await compactLayout(input, format, escaped, meta) : PLAIN_CSV;
  // A file is replaced only once every row is in its place: a bad line in the input keeps the old one.
  let shown: ReadProgress | undefined;
  const output = openWholeOutput(
    out.kind === 'file' ? out.path : undefined,
    outFormat,
    layout,
    aboveReadProgress(io, () => shown),
    lock,
  );
  const runModel = typeof meta?.['model'] === 'string' ? meta['model'] : undefined;
  // A CSV copied to JSONL gets the answers typed, as the run's own JSONL has them.
  const typedOutput = outFormat !== 'csv';
  // Said under -q too: the copy is short of what the run will write, which a cron job must not take for the whole.
  const beingWritten = writtenNowNote(input, 'compaction');
  io.stderr.write(beingWritten ?? '');
  // Two passes over the file: minutes for a multi-GB one. A stream (`-o /dev/stdout`) may be the terminal.
  const rowsToStdout = out.kind !== 'file' || isStreamTarget(out.path);
  shown = readProgressFor(io, config.quiet, rowsToStdout)?.(`compacting ${input}`, 2 * filesSize([input]));
  // A CSV copy has no column for a reasoning model's thinking: said at the end, as a run writing CSV says it.
  const leftOut = new ReasoningLeftOut(outFormat === 'csv');
  const compacted = writeWhole(output, (writer) =>
    compactResults(input, format, writer, { escapedFormulas: escaped, typedOutput, onRead: shown?.add, onRow: (row) => leftOut.add(row) }, runModel),
  );
  const result = await compacted.finally(() => shown?.done());
  // The copy's record, as merge writes one: without it, a CSV copy written with --csv-escape-formulas
  // read back with its cells' `'` as answer text, and its rows under no run model.
  if (meta && lock && out.kind === 'file') writeRunMeta(out.path, { ...meta, [OUTPUT_FORMAT_KEY]: outFormat });
  // A file a run is writing ends with the row it is writing: said above, and no resume's to ask.
  if (result.torn && beingWritten === undefined) io.stderr.write(tornRowNote(input));
  const reasoning = leftOut.line();
  if (reasoning && !config.quiet) io.stderr.write(`llm-batch: ${reasoning}\n`);
  if (!config.quiet) io.stderr.write(`llm-batch: compacted ${counted(result.rows, 'row')} (${counted(result.dropped, 'superseded row')} dropped)\n`);
  return ExitCode.ok;
}

/**
 * A CSV's schema-field and kept-field columns carry over, so compacting loses no cell; the copy is
 * in the current layout (an old file gains the timestamp and model/sample columns, empty), but for
 * `cached_tokens`: a file that never had it keeps lacking it, so the copy's report still says that
 * its cached input is not known rather than pricing every input token in full unannounced. JSONL
 * rows get the columns a run writing CSV directly has (see csvLayoutOfJsonl).
 */
async function compactLayout(file: string, format: 'jsonl' | 'csv', escaped: boolean, meta: Record<string, unknown> | undefined): Promise<CsvLayout> {
  if (format === 'jsonl') return csvLayoutOfJsonl(file, meta);
  const own = await csvLayoutFromFile(file, escaped);
  if (!own) return PLAIN_CSV;
  const { legacy, ...current } = own;
  return legacy ? { ...current, noCachedTokens: true } : current;
}
