import { realpathSync, rmSync } from 'node:fs';
import { RunError } from '../errors.js';
import { renameDurably } from '../util/rename-durably.js';
import { refuseUntrustedLink } from '../util/untrusted-link.js';
import type { ResultRow } from '../types.js';
import type { CsvLayout } from './csv-layout.js';
import { csvLayoutFromFile, csvLayoutOfFile, withFileLineEnd } from './csv-file-layout.js';
import { readResults, type ReadOptions } from './read-results.js';
import { openSnapshot } from './file-snapshot.js';
import { usageCarrier } from './carried-usage.js';
import { rowKey } from './row-key.js';
import { staleInputErrors } from './resume-state.js';
import type { RowWriter } from './row-writer.js';
import { openTempRowWriter } from './temp-row-writer.js';

export interface CompactStats {
  /** Rows written. */
  rows: number;
  /** Superseded rows left out (earlier rows for an id that appears again later). */
  dropped: number;
  /** The file ends with a row cut short (see ReadOptions.onTorn), left out. */
  torn: boolean;
}

export interface CompactOptions extends ReadOptions {
  /** A stop (Ctrl-C) ends the compaction at the next row, throwing its reason: `out` gets no more rows. */
  signal?: AbortSignal | undefined;
  /** Sees every row written (as mergeResults's `onRow`). */
  onRow?: (row: ResultRow) => void;
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
  const { signal, onRow, ...read } = options;
  signal?.throwIfAborted();
  // Both passes read the file as it was when the first began: a run appending rows meanwhile (a
  // compaction of a live output) made every such compaction fail as "changed".
  const snapshot = await openSnapshot(path);
  try {
    for await (const row of readResults(path, format, { ...read, onTorn }, snapshot)) {
      signal?.throwIfAborted();
      stale.see(row, total);
      lastIndex.set(rowKey(row, runModel), total++);
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
    if (index !== total) {
      throw new RunError(`${path} changed while it was being compacted; run compaction again`, 'output');
    }
    return { rows, dropped: total - rows, torn };
  } finally {
    await snapshot.handle.close();
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
  { signal, onRead }: Pick<CompactOptions, 'signal' | 'onRead'> = {},
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
    const stats = await compactResults(path, format, out, { escapedFormulas: csv?.escapeFormulas ?? false, signal, onRead }, runModel);
    await out.close();
    renameDurably(tmp, path);
    return stats;
  } catch (err) {
    await out.close().catch(() => {});
    rmSync(tmp, { force: true });
    throw err;
  }
}
