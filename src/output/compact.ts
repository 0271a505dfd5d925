import { realpathSync, rmSync } from 'node:fs';
import { RunError } from '../errors.js';
import { renameDurably } from '../util/rename-durably.js';
import { refuseUntrustedLink } from '../util/untrusted-link.js';
import type { ResultRow } from '../types.js';
import type { CsvLayout } from './csv-layout.js';
import { csvLayoutFromFile, csvLayoutOfFile, withFileLineEnd } from './csv-file-layout.js';
import { readResults, type ReadOptions } from './read-results.js';
import { openSnapshot, type FileSnapshot } from './file-snapshot.js';
import { usageCarrier } from './carried-usage.js';
import { rowKey } from './row-key.js';
import { isInputError, staleInputErrors } from './resume-state.js';
import type { RowWriter } from './row-writer.js';
import { openTempRowWriter } from './temp-row-writer.js';

export interface CompactStats {
  /** Rows written. */
  rows: number;
  /** Superseded rows left out (earlier rows for an id that appears again later). */
  dropped: number;
  /** The file ends with a row cut short (see ReadOptions.onTorn), left out. */
  torn: boolean;
  /** With `inputOrder`: the rows were written in that order, the file's being another. */
  reordered?: boolean;
  /** With `inputOrder`: the rows were in too many stretches of that order to be put back in it (see MAX_RUNS). */
  unordered?: boolean;
  /** With `inputOrder`: nothing to drop and already in order, so nothing was written. */
  unchanged?: boolean;
}

/**
 * Stretches of the file already in order that a reordering merges at most: each is read from the
 * file's start by a reader of its own (200,000 rows of 94 MB: 2 stretches 6.0 s, 16 10.3 s, 64 37 s,
 * against 4.8 s for a plain compaction). A run with --order input leaves one, and each interrupted
 * run and resume one or two more (the rows held for order, written when it stopped); a file an
 * earlier run wrote in completion order has hundreds, and keeps its order.
 */
const MAX_RUNS = 16;

export interface CompactOptions extends ReadOptions {
  /** A stop (Ctrl-C) ends the compaction at the next row, throwing its reason: `out` gets no more rows. */
  signal?: AbortSignal | undefined;
  /** Sees every row written (as mergeResults's `onRow`). */
  onRow?: (row: ResultRow) => void;
  /**
   * Writes the rows in input order, by line (an --order input run's), when the file holds them in
   * another (an interrupted run's held rows, then its resume's, at its end), and nothing at all when
   * it holds them so and drops none (`unchanged`). The rows of one line (its models and samples) keep
   * the order they were written in: ranked by the run's -m and --repeat, a resume with other ones
   * (`-m B,A`, a model left out) found a file in order out of it, and turned it round.
   */
  inputOrder?: boolean;
}

/**
 * Writes one row per key (`rowKey`) — the LAST row for each key, as resume treats it — to `out`,
 * leaving out input error rows whose line got a real row later (`staleInputErrors`). A row left
 * out for a later one passes its usage to it (`usageCarrier`): what it cost was spent.
 *
 * Order: rows come out in file order of each id's last row (not of its first appearance). That
 * lets us stream the file twice and keep only `id → index of its last row` in memory, with no
 * random access, so it works for files far larger than memory and for CSV with multi-line cells.
 * Both passes read the file up to the size it had when the first began (see FileSnapshot). `out` is not closed.
 */
export async function compactResults(
  path: string,
  format: 'jsonl' | 'csv',
  out: RowWriter,
  options: CompactOptions = {},
  /** The model in the file's run metadata (see `rowKey`). */
  runModel?: string | null,
): Promise<CompactStats> {
  const lastIndex = new Map<string, number>();
  const stale = staleInputErrors();
  let total = 0;
  let torn = false;
  const onTorn = () => {
    torn = true;
    options.onTorn?.();
  };
  const { signal, onRow, inputOrder, ...read } = options;
  signal?.throwIfAborted();
  // Both passes read the file as it was when the first began: a run appending rows meanwhile (a
  // compaction of a live output) made every such compaction fail as "changed".
  const snapshot = await openSnapshot(path);
  const places = inputOrder ? new RowPlaces() : undefined;
  try {
    for await (const row of readResults(path, format, { ...read, onTorn }, snapshot)) {
      signal?.throwIfAborted();
      stale.see(row, total);
      places?.add(row.line, isInputError(row));
      lastIndex.set(rowKey(row, runModel), total++);
    }
    const plan = places?.plan(lastIndex, stale);
    if (plan) {
      // Nothing to drop (nor a torn row to cut off), and in order, or in too many stretches to put in it.
      if (plan.kept === total && !torn && (plan.runs.length <= 1 || plan.runs.length > MAX_RUNS)) {
        return { rows: total, dropped: 0, torn, unchanged: true, ...(plan.runs.length > 1 ? { unordered: true } : {}) };
      }
      if (plan.runs.length > 1 && plan.runs.length <= MAX_RUNS) {
        const rows = await writeInOrder(path, format, read, snapshot, { out, signal, onRow, runModel, total }, plan);
        return { rows, dropped: total - rows, torn, reordered: true };
      }
    }

    let index = 0;
    let rows = 0;
    const carrier = usageCarrier();
    for await (const row of readResults(path, format, read, snapshot)) {
      signal?.throwIfAborted();
      const at = index++;
      const key = rowKey(row, runModel);
      if (lastIndex.get(key) !== at) carrier.drop(key, row);
      else if (!stale.isStale(row, at)) {
        const kept = carrier.keep(key, row);
        await out.write(kept);
        rows++;
        onRow?.(kept);
      }
    }
    if (index !== total) throw changedWhileCompacted(path);
    return { rows, dropped: total - rows, torn, ...(plan && plan.runs.length > 1 ? { unordered: true } : {}) };
  } finally {
    await snapshot.handle.close();
  }
}

const changedWhileCompacted = (path: string) => new RunError(`${path} changed while it was being compacted; run compaction again`, 'output');

/** Each row's input line and whether it is an input error, by its index in the file. */
class RowPlaces {
  private lines = new Float64Array(1024);
  private inputErrors = new Uint8Array(1024);
  private n = 0;

  add(line: number, inputError: boolean): void {
    if (this.n === this.lines.length) {
      const grow = <T extends Float64Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.lines = grow(this.lines);
      this.inputErrors = grow(this.inputErrors);
    }
    this.lines[this.n] = line;
    this.inputErrors[this.n++] = inputError ? 1 : 0;
  }

  /** Whether the row at `a` goes before the one at `b` (rows of one line keep the file's order: see CompactOptions.inputOrder). */
  before(a: number, b: number): boolean {
    return this.lines[a]! < this.lines[b]!;
  }

  /**
   * The rows kept (the last per key, no stale input error) and the stretches of the file, as index
   * ranges, in which the kept rows are in order: one when the file is in order.
   */
  plan(lastIndex: ReadonlyMap<string, number>, stale: ReturnType<typeof staleInputErrors>): OrderPlan {
    const keep = new Uint8Array(this.n);
    for (const at of lastIndex.values()) keep[at] = 1;
    let kept = 0;
    const runs: Array<[number, number]> = [];
    let previous = -1;
    for (let i = 0; i < this.n; i++) {
      if (keep[i] === 1 && this.inputErrors[i] === 1 && stale.isStaleInputError(this.lines[i]!, i)) keep[i] = 0;
      if (keep[i] === 0) continue;
      kept++;
      if (previous === -1 || this.before(i, previous)) runs.push([i, i]);
      else runs[runs.length - 1]![1] = i;
      previous = i;
    }
    return { keep, kept, runs, places: this };
  }
}

interface OrderPlan {
  /** 1 for each row index kept. */
  keep: Uint8Array;
  kept: number;
  /** First and last row index of each stretch in order. */
  runs: Array<[number, number]>;
  places: RowPlaces;
}

/**
 * Writes the kept rows in order: one reader of the snapshot per stretch, merged. The rows left out
 * pass their usage on first (a row is left out only for a later one of its key), in a pass of their own.
 */
async function writeInOrder(
  path: string,
  format: 'jsonl' | 'csv',
  read: ReadOptions,
  snapshot: FileSnapshot,
  to: { out: RowWriter; signal?: AbortSignal; onRow?: (row: ResultRow) => void; runModel?: string | null; total: number },
  plan: OrderPlan,
): Promise<number> {
  const carrier = usageCarrier();
  let index = 0;
  // Told as two passes in all, as the bar's total (twice the file) has it: this one is not told, and
  // each reader of a stretch tells its share.
  const { onRead, ...quiet } = read;
  const share = onRead && ((bytes: number) => onRead(bytes / plan.runs.length));
  for await (const row of readResults(path, format, quiet, snapshot)) {
    to.signal?.throwIfAborted();
    if (plan.keep[index++] === 0) carrier.drop(rowKey(row, to.runModel), row);
  }
  if (index !== to.total) throw changedWhileCompacted(path);
  async function* stretch([first, last]: [number, number]): AsyncGenerator<{ at: number; row: ResultRow }> {
    let at = 0;
    for await (const row of readResults(path, format, { ...quiet, ...(share ? { onRead: share } : {}) }, snapshot)) {
      if (at > last) return;
      if (at >= first && plan.keep[at] === 1) yield { at, row };
      at++;
    }
    if (at <= last) throw changedWhileCompacted(path);
  }
  const readers = plan.runs.map(stretch);
  const heads = await Promise.all(readers.map((r) => r.next()));
  let rows = 0;
  try {
    for (;;) {
      to.signal?.throwIfAborted();
      let next = -1;
      for (let r = 0; r < heads.length; r++) {
        const head = heads[r]!;
        if (head.done) continue;
        if (next === -1 || plan.places.before(head.value.at, (heads[next]!.value as { at: number }).at)) next = r;
      }
      if (next === -1) return rows;
      const { row } = heads[next]!.value as { row: ResultRow };
      const kept = carrier.keep(rowKey(row, to.runModel), row);
      await to.out.write(kept);
      rows++;
      to.onRow?.(kept);
      heads[next] = await readers[next]!.next();
    }
  } finally {
    await Promise.all(readers.map((r) => r.return(undefined)));
  }
}

/** The temporary file {@link compactFile} writes beside the file `path` lands on. */
function compactTempOf(path: string): string {
  return `${path}.compact.tmp`;
}

/**
 * Removes the temporary file of a compaction cut short by a kill -9 or a power loss (it can be as
 * large as the output, and nothing else would ever remove it). Call it only while holding the
 * output's lock: then no other run's compaction can be writing it.
 */
export function removeCompactLeftover(given: string): void {
  let path = given;
  try {
    path = realpathSync(given);
  } catch {
    // No output (yet, or any more): the temp file is named after the path as given.
  }
  try {
    rmSync(compactTempOf(path), { force: true });
  } catch {
    // A directory by that name, or no permission: left alone, as it was.
  }
}

/**
 * Compacts a results file in place: writes `${path}.compact.tmp`, fsyncs it, then renames it over
 * `path` and fsyncs the folder, so a crash at any point leaves either the old file or the compacted
 * one, never a mix, and a power loss once it is done does not bring the old one back. A CSV keeps
 * its own layout (an old file's header is not upgraded behind the user's back). A symlinked `path`
 * is compacted where it points: renamed over, the link would become a file of its own and the file
 * it pointed to would stop getting rows (not one another user planted: see untrustedLink). The
 * compacted file keeps the old one's mode.
 */
export async function compactFile(
  given: string,
  format: 'jsonl' | 'csv',
  layout?: CsvLayout,
  runModel?: string | null,
  /**
   * `signal` ends it before the rename (see CompactOptions): the temp file is removed, the file left
   * as it was. `onRead` is told of every block read, in both passes: twice the file's size in all.
   */
  { signal, onRead, inputOrder }: Pick<CompactOptions, 'signal' | 'onRead' | 'inputOrder'> = {},
): Promise<CompactStats> {
  refuseUntrustedLink(given);
  const path = realpathSync(given);
  const tmp = compactTempOf(path);
  // The header's own layout: rows read back hold their fields by column, as that header names them.
  const own = layout && format === 'csv' ? await csvLayoutFromFile(path, layout.escapeFormulas) : undefined;
  // Its line ends too: a file saved again with CRLF stays so (see CsvLayout.crlf).
  const csv = own ? withFileLineEnd(path, own) : layout && format === 'csv' ? csvLayoutOfFile(path, layout) : layout;
  const out = openTempRowWriter(tmp, path, format, csv);
  try {
    const stats = await compactResults(path, format, out, { escapedFormulas: csv?.escapeFormulas ?? false, signal, onRead, inputOrder }, runModel);
    await out.close();
    if (stats.unchanged) rmSync(tmp, { force: true });
    else renameDurably(tmp, path);
    return stats;
  } catch (err) {
    await out.close().catch(() => {});
    rmSync(tmp, { force: true });
    throw err;
  }
}
