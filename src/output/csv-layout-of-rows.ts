import { outputColumns, type OutputColumn } from '../structured/columns.js';
import { isPlainObject } from '../util/is-plain-object.js';
import { ANSWER_PART_COLUMNS, type AnswerPartColumn } from './csv-columns.js';
import { fieldReservedNames, type CsvLayout } from './csv-layout.js';
import { readResults } from './read-results.js';

/** What the run's metadata says of the columns a CSV of its rows has; what it does not say is read from the rows. */
export interface KnownCsvColumns {
  /** The schema's field columns, as the run named them (stored in its metadata since they are). */
  outputColumns?: readonly OutputColumn[];
  /** The kept input fields, in order (`--keep-fields a,b`). */
  keptFields?: readonly string[];
  /** `tool_calls` / `logprobs` the run asked for by `--param`. */
  answerColumns: readonly AnswerPartColumn[];
}

/**
 * The CSV layout a JSONL results file's rows get, the one a run writing CSV directly would have had:
 * the known columns, the rest read from the rows in one pass. Without stored schema columns (a file
 * from before they were stored), the answers' top-level keys in the order first seen, named as a
 * schema's properties are (one whole `output` column when an answer is not an object); after the
 * kept-field list (none with `--keep-fields all`, or without metadata), other `input` keys in the order first seen;
 * `tool_calls` / `logprobs` when asked for or when any row has them. Nothing a row holds is left out.
 */
export async function csvLayoutOfRows(path: string, known: KnownCsvColumns, escapeFormulas = false): Promise<CsvLayout> {
  const outputKeys = new Set<string>();
  let wholeOutput = false;
  const inputKeys = new Set<string>();
  const answers = new Set<AnswerPartColumn>(known.answerColumns);
  for await (const row of readResults(path, 'jsonl')) {
    if (row.output !== undefined && row.output !== null) {
      if (isPlainObject(row.output)) for (const key of Object.keys(row.output)) outputKeys.add(key);
      else wholeOutput = true;
    }
    if (row.input) for (const key of Object.keys(row.input)) inputKeys.add(key);
    if (row.tool_calls !== undefined) answers.add('tool_calls');
    if (row.logprobs !== undefined) answers.add('logprobs');
  }
  const fields = withRowFields(known.outputColumns ?? [], outputKeys, wholeOutput);
  const answerColumns = ANSWER_PART_COLUMNS.filter((c) => answers.has(c));
  return {
    escapeFormulas,
    keptFields: [...new Set([...(known.keptFields ?? []), ...inputKeys])],
    ...(fields.length > 0 ? { outputColumns: fields } : {}),
    ...(answerColumns.length > 0 ? { answerColumns } : {}),
  };
}

/**
 * The known field columns, then one for each answer key they lack (a merged file's other schema, a
 * file without stored columns), named apart from them; all in one `output` column when an answer is
 * not an object and no whole column is known.
 */
function withRowFields(known: readonly OutputColumn[], keys: ReadonlySet<string>, whole: boolean): readonly OutputColumn[] {
  if (known.some((c) => c.whole)) return known;
  // An answer that is not an object: all in one column, unless a schema's columns are known (its text is in `response`).
  if (whole) return known.length > 0 ? known : outputColumns({}, fieldReservedNames());
  const extra = [...keys].filter((key) => !known.some((c) => c.property === key));
  if (extra.length === 0) return known;
  const properties = Object.fromEntries(extra.map((key) => [key, {}]));
  return [...known, ...outputColumns({ properties }, [...fieldReservedNames(), ...known.map((c) => c.column)])];
}
