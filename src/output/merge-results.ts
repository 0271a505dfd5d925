import { columnValue, type OutputColumn } from '../structured/columns.js';
import type { ResultRow } from '../types.js';
import { openSnapshot, reopenSnapshot, type FileSnapshot } from './file-snapshot.js';
import { readResultsWithLines } from './read-results.js';
import { usageCarrier } from './carried-usage.js';
import { answerKey } from './row-key.js';
import type { RowWriter } from './row-writer.js';

export interface MergeSource {
  path: string;
  format: 'jsonl' | 'csv';
  /** A CSV written with --csv-escape-formulas (its metadata says so): read its cells unescaped. */
  escapedFormulas?: boolean;
  /** The model in the file's run metadata: a plain run's rows are (id, that model, sample 0). */
  runModel?: string | null;
  /** Merged into JSONL: a structured CSV's answers typed, as a JSONL output has them (see ReadOptions). */
  typedOutput?: boolean;
  /**
   * A JSONL output merged into CSV: its answers' fields keyed by these columns' names, as rows read
   * from a CSV output hold them, so that one set of columns serves both (see columnValue).
   */
  byColumn?: readonly OutputColumn[];
}

/** The row with its answer's fields keyed by column name. */
function keyedByColumn(row: ResultRow, columns: readonly OutputColumn[]): ResultRow {
  if (row.output === undefined) return row;
  return { ...row, output: Object.fromEntries(columns.map((c) => [c.column, columnValue(row.output, c)])) };
}

export interface MergeStats {
  rows: number;
  failed: number;
  /** Superseded rows left out (an earlier row for an answer seen again, in the same or a later file). */
  dropped: number;
  /** The files that end with a row cut short (see ReadOptions.onTorn), left out. */
  torn: string[];
}

/**
 * Writes one row per answer (id, model asked for, sample; see `rowKey`) from several results files:
 * the last one, files taken in the order given (as `--compact` does within one file), so the
 * shards of a model × sample run keep every answer. A row replaced by a later one of the same file
 * passes its usage to it, as `--compact` does (see usageCarrier); one replaced from another file
 * does not, since it may be a copy of a row that file holds (an earlier merge of it). Two streaming passes with only `key → position` in memory,
 * so shard outputs of any size merge in flat memory. A plain run's row is keyed with its file's model
 * (as every row is with the model it was asked of), so outputs whose runs list their models in
 * another order (`-m A,B`, `-m B,A`: each file's first model is another) key an answer alike.
 * `onRow` sees every row written, with the model it answers (for a coverage check against the input).
 * Both passes read each file as it was when the first pass came to it, up to the size it had then: a
 * resume that renames its compacted output over the path meanwhile, or a run appending rows, leaves
 * the merge with exactly the rows that file held. The first HELD_OPEN files stay open between the
 * passes; any further one is opened again and must be the same file (else the merge stops, exit 2),
 * so that merging thousands of shards needs no more descriptors than `ulimit -n` gives.
 */
export async function mergeResults(
  sources: readonly MergeSource[],
  out: RowWriter,
  onRow?: (row: ResultRow, model: string | undefined) => void,
  /** Told of every block read, in both passes: twice the files' sizes in all (for a progress line). */
  onRead?: (bytes: number) => void,
): Promise<MergeStats> {
  const snapshots: FileSnapshot[] = [];
  const open: FileSnapshot[] = [];
  const closing = async (snapshot: FileSnapshot) => {
    open.splice(open.indexOf(snapshot), 1);
    await snapshot.handle.close();
  };
  async function* read(source: MergeSource, i: number, onTorn?: () => void): AsyncGenerator<ResultRow> {
    const options = { escapedFormulas: source.escapedFormulas ?? false, typedOutput: source.typedOutput ?? false, onTorn, onRead };
    const held = snapshots[i];
    const snapshot = held === undefined ? await openSnapshot(source.path) : open.includes(held) ? held : await reopenSnapshot(source.path, held);
    if (snapshot !== held) open.push(snapshot);
    snapshots[i] = snapshot;
    try {
      for await (const { row } of readResultsWithLines(source.path, source.format, options, snapshot)) yield row;
    } finally {
      // Kept open for the second pass only while few are: a reopened one is checked to be the same file.
      if (held !== undefined || i >= HELD_OPEN) await closing(snapshot);
    }
  }
  try {
    return await mergePasses(sources, read, out, onRow);
  } finally {
    await Promise.all(open.map((snapshot) => snapshot.handle.close()));
  }
}

/** Files kept open from the first pass to the second (see mergeResults). */
export const HELD_OPEN = 32;

async function mergePasses(
  sources: readonly MergeSource[],
  read: (source: MergeSource, i: number, onTorn?: () => void) => AsyncGenerator<ResultRow>,
  out: RowWriter,
  onRow?: (row: ResultRow, model: string | undefined) => void,
): Promise<MergeStats> {
  const last = new Map<string, number>();
  let position = 0;
  // One model for every file keys as a plain row does (the id alone): a file without metadata, whose plain rows' model is not known, then keys them alike.
  const runModel = sources.find((source) => source.runModel)?.runModel;
  const keyOf = (row: ResultRow, source: MergeSource) => answerKey(row.id, modelOf(row, source) ?? null, row.sample, runModel);
  const torn = new Set<string>();
  for (const [i, source] of sources.entries()) {
    for await (const row of read(source, i, () => torn.add(source.path))) last.set(keyOf(row, source), position++);
  }

  const stats: MergeStats = { rows: 0, failed: 0, dropped: 0, torn: [...torn] };
  const carrier = usageCarrier();
  position = 0;
  for (const [i, source] of sources.entries()) {
    // Only within a file: a row another file replaces may be a copy of one it holds (an earlier merge).
    carrier.clear();
    for await (const found of read(source, i)) {
      const key = keyOf(found, source);
      if (last.get(key) !== position++) {
        stats.dropped++;
        carrier.drop(key, found);
        continue;
      }
      const row = asked(carrier.keep(key, found), source, runModel);
      await out.write(source.byColumn ? keyedByColumn(row, source.byColumn) : row);
      stats.rows++;
      if (row.error) stats.failed++;
      onRow?.(row, modelOf(row, source));
    }
  }
  return stats;
}

/**
 * `row` as the merged file must hold it: a plain row of a file whose run asked another model than the
 * merged record's says which it was asked of, as a model × sample run's rows do. Written as it came,
 * it was keyed under the merged run's model by the next --compact or --resume, and one of the two
 * answers for its id was dropped as superseded.
 */
function asked(row: ResultRow, source: MergeSource, runModel: string | null | undefined): ResultRow {
  const model = modelOf(row, source);
  if ((row.requested_model ?? null) !== null || model === undefined || model === (runModel ?? undefined)) return row;
  return { ...row, requested_model: model, sample: row.sample ?? 0 };
}

/** The model a row answers: the one it was asked of, else (a plain run's row) its file's run model. */
function modelOf(row: ResultRow, source: MergeSource): string | undefined {
  return row.requested_model ?? source.runModel ?? undefined;
}
