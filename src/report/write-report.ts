import { basename } from 'node:path';
import { buildReportData } from './build-report-data.js';
import type { RunEvents } from './build-timeline.js';
import { loadPageAssets } from './page-assets.js';
import { readReportRows } from './read-report-rows.js';
import type { Figures, ReportData, RunFigures, UncollectedBatches } from './report-data.js';
import { rowSlimmer, textChars, type ReportRow } from './report-row.js';
import { renderHtml } from './render-html.js';
import type { ReportPricing } from './row-cost.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import { ExitCode, OutputClosedError, RunError } from '../errors.js';
import type { TailInfo } from '../output/complete-lines.js';
import { openSnapshot, type FileSnapshot } from '../output/file-snapshot.js';
import { groupDigits } from '../util/group-digits.js';

export interface WriteReportOptions {
  /** The results file (JSONL or CSV) the report is made of. */
  input: string;
  /**
   * What the page names as its rows' source when `input` is only a copy of them (a run's rows went to
   * stdout or a text file): not the temporary copy's path. @default input
   */
  sourceName?: string;
  format: 'jsonl' | 'csv';
  /** A CSV written with --csv-escape-formulas: its cells' `'` is read back off (see reportRowFromCsv). */
  escapedFormulas?: boolean;
  /** Where the HTML goes: a file (written atomically), or a stream such as stdout (`report -o -`). */
  output: string | NodeJS.WritableStream;
  run?: RunFigures;
  /** A structured run's fields in its schema's order (its run metadata's), which the page follows. */
  fieldOrder?: readonly string[] | undefined;
  /** Batches a --batch-api run did not collect, when known apart from `run` (`report` reads its manifest). */
  batches?: UncollectedBatches;
  events?: RunEvents;
  /** The run's prices (--price, --prices); list prices without them. */
  pricing?: ReportPricing;
  tableLimits?: { rows: number; chars: number };
  /** Refuse a file with no result rows (exit 5, nothing written) rather than report nothing. */
  refuseEmpty?: boolean;
  /**
   * A run holds the file's lock: the page says the rows still to come are not in it, and a row cut
   * short at its end is the one the run is writing, not a torn write, so the page does not call it one.
   */
  beingWritten?: boolean;
  /** A stop (Ctrl-C) ends the reading at the next row, throwing its reason: nothing is written. */
  signal?: AbortSignal | undefined;
  /** Called with the figures before anything is written: what it throws (a summary of another run) leaves no report. */
  checkFigures?: (figures: Figures) => void;
  /** Told each step and the bytes read, for a status line on a terminal (see FileProgress). */
  progress?: ReportProgress;
}

/** What a report tells of its steps as it goes: a long read, or a step with no count. */
export interface ReportProgress {
  phase(label: string, total?: number): void;
  advance(bytes: number): void;
}

export interface ReportOutcome {
  rows: number;
  tableRows: number;
  sampled: boolean;
  bytes: number;
  /** The file ended with a row cut short (a torn write), left out of the report. */
  torn: boolean;
}

/** Reads the results, builds every figure and writes the HTML atomically (a temp file renamed over). */
export async function writeReport(o: WriteReportOptions): Promise<ReportOutcome> {
  const data = await readReportData(o);
  o.checkFigures?.(data.figures);
  o.progress?.phase('writing the report');
  const html = renderHtml(data, loadPageAssets());
  if (typeof o.output === 'string') {
    try {
      writeFileAtomic(o.output, html);
    } catch (err) {
      // `-o /dev/stdout | head`: the reader left, as `-o -`'s (exit 141, quietly), not a failed write.
      throw (err as { code?: unknown } | null)?.code === 'EPIPE' ? new OutputClosedError() : err;
    }
  } else await writeWhole(o.output, html);
  return {
    rows: data.figures.rows,
    tableRows: data.table.rows.length,
    sampled: data.table.sampled,
    bytes: Buffer.byteLength(html),
    torn: data.source.tornRow === true,
  };
}

/** Reads of a file that changed under the report (see FileChanged) before it gives up. */
const READS = 3;

/**
 * Both reads of the file through one open handle, up to the size it had when opened: a file renamed
 * over the path meanwhile (a resume's compaction) or rows appended (a run in progress) change
 * nothing, so the table's texts are those of the rows counted. A file cut back in place (an
 * --overwrite run starting) is read again from the start.
 */
async function readReportData(o: WriteReportOptions): Promise<ReportData> {
  for (let read = 1; ; read++) {
    o.signal?.throwIfAborted();
    // Unreadable: "Cannot read results file …", exit 2, as a resume says it.
    const snapshot = await openSnapshot(o.input);
    try {
      return await reportData(o, snapshot);
    } catch (err) {
      if (!(err instanceof FileChanged)) throw err;
      if (read === READS) throw new RunError(`${o.input} changed while it was being read ${READS} times (a run replacing it?): run the report again`, 'input');
    } finally {
      await snapshot.handle.close();
    }
  }
}

/** The second read found other rows than the first at the same places: the file was rewritten in place. */
class FileChanged extends Error {}

async function reportData(o: WriteReportOptions, snapshot: FileSnapshot): Promise<ReportData> {
  // First read: every row without its texts (memory stays a small multiple of the row count, not of
  // the file); second read: the texts of the rows the table shows.
  const rows: ReportRow[] = [];
  let ordinal = 0;
  const tail: TailInfo = { tornBytes: 0 };
  let torn = false;
  const onTorn = () => void (torn = true);
  const slimRow = rowSlimmer();
  const { progress } = o;
  const onRead = progress && ((bytes: number) => progress.advance(bytes));
  progress?.phase(`reading ${o.input}`, snapshot.bytes);
  for await (const row of readReportRows(o.input, o.format, { tail, snapshot, onTorn, onRead, escapedFormulas: o.escapedFormulas })) {
    o.signal?.throwIfAborted();
    rows.push(slimRow(row, ordinal++));
  }
  if (rows.length === 0 && o.refuseEmpty) throw noRows(o.input, snapshot.bytes, tail.tornBytes);
  progress?.phase(`counting the figures of ${groupDigits(rows.length)} rows`);
  const loadTexts = async (picked: ReportRow[]): Promise<ReportRow[]> => {
    const wanted = new Map<number, number>(picked.map((r, i) => [r.slim!.ordinal, i]));
    const full = [...picked];
    let n = 0;
    progress?.phase(`reading ${o.input} again for the table's texts`, snapshot.bytes);
    for await (const row of readReportRows(o.input, o.format, { snapshot, onRead, escapedFormulas: o.escapedFormulas })) {
      o.signal?.throwIfAborted();
      const at = wanted.get(n++);
      if (at === undefined) continue;
      const slim = full[at]!;
      if (!sameRow(slim, row)) throw new FileChanged();
      // As the figures count it (see buildReportData): a plain row as sample 0 beside samples, the
      // tokens of rows it superseded added to its own. Read again, it had lost both.
      full[at] = { ...row, sample: slim.sample, promptTokens: slim.promptTokens, completionTokens: slim.completionTokens, cachedTokens: slim.cachedTokens };
    }
    if (n !== rows.length) throw new FileChanged();
    return full;
  };
  return buildReportData({
    loadTexts,
    rows,
    title: basename(o.sourceName ?? o.input),
    source: {
      path: o.sourceName ?? o.input,
      format: o.format,
      bytes: snapshot.bytes,
      ...(torn && !o.beingWritten ? { tornRow: true } : {}),
      ...(o.beingWritten ? { beingWritten: true } : {}),
    },
    run: o.run,
    fieldOrder: o.fieldOrder,
    batches: o.batches,
    events: o.events,
    pricing: o.pricing,
    tableLimits: o.tableLimits,
  });
}

/** Whether a row of the second read is the slim row of the first read at its place. */
function sameRow(slim: ReportRow, row: ReportRow): boolean {
  return (
    slim.id === row.id &&
    slim.line === row.line &&
    (slim.sample ?? 0) === (row.sample ?? 0) &&
    slim.errorType === row.errorType &&
    slim.startedMs === row.startedMs &&
    slim.slim?.chars === textChars(row)
  );
}

function noRows(input: string, size: number, tornBytes: number): RunError {
  const what =
    size === 0
      ? 'is empty'
      : tornBytes === size
        ? `holds no result rows (its ${groupDigits(tornBytes)} bytes end in no newline, skipped as a torn write)`
        : 'holds no result rows';
  return new RunError(`${input} ${what}: no report written`, 'input', ExitCode.noPrompts);
}

/** Writes all of `text` and waits until the stream took it; a reader that left is OutputClosedError. */
function writeWhole(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Kept on after a failure: a file stream emits its write's error again after the callback, and
    // an 'error' with no listener ended the process (`report -o` on a full disk: a stack, the temp file left).
    const fail = (err: unknown): void => {
      const code = (err as { code?: unknown } | null)?.code;
      reject(code === 'EPIPE' ? new OutputClosedError() : new RunError(`cannot write the report: ${(err as Error).message}`, 'output'));
    };
    stream.on('error', fail);
    stream.write(text, (err) => {
      if (err) return fail(err);
      stream.removeListener('error', fail);
      resolve();
    });
  });
}
