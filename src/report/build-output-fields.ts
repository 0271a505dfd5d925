import { fieldReservedNames } from '../output/csv-layout.js';
import { outputColumns } from '../structured/columns.js';
import { keptNumberText, stringifyExact } from '../structured/exact-numbers.js';
import type { ReportRow } from './report-row.js';
import type { OmittedFields, OutputField } from './report-data.js';

/** Fields shown as the table's columns and given a distribution; the rest are named (see omitted). */
export const MAX_FIELDS = 40;
/** Names of the fields past MAX_FIELDS said on the page; more are counted. */
const NAMED_OMITTED = 10;
const MAX_TOP = 12;
/** Above this many distinct values a field is free text: no distribution is shown. */
const MAX_DISTINCT = 50;

/** A cell's text for a structured-output value: strings as they are, the rest as JSON. */
export function fieldText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : (keptNumberText(v) ?? stringifyExact(v));
}

/**
 * The top-level fields of structured outputs, in the schema's order when it is known (`order`: its
 * CSV's columns), else in order of first appearance, with their most common values; named as the CSV
 * names their columns (a field `id` is `output_id`, apart from the row's id).
 */
export function buildOutputFields(rows: readonly ReportRow[], omitted?: OmittedFields, order?: readonly string[]): OutputField[] {
  const fields = new Map<string, Map<string, number> | null>();
  // The schema's fields first, in its order; one that no answer holds is dropped below.
  for (const name of (order ?? []).slice(0, MAX_FIELDS)) fields.set(name, new Map());
  const seen = new Set<string>();
  const past = new Set<string>();
  for (const r of rows) {
    if (!r.output) continue;
    for (const [name, value] of Object.entries(r.output)) {
      if (!fields.has(name)) {
        if (fields.size >= MAX_FIELDS) {
          past.add(name);
          continue;
        }
        fields.set(name, new Map());
      }
      seen.add(name);
      const counts = fields.get(name);
      if (!counts) continue;
      const text = fieldText(value).slice(0, 200);
      counts.set(text, (counts.get(text) ?? 0) + 1);
      if (counts.size > MAX_DISTINCT) fields.set(name, null);
    }
  }
  for (const name of fields.keys()) if (!seen.has(name)) fields.delete(name);
  if (omitted && past.size > 0) {
    omitted.count = past.size;
    omitted.names = [...past].slice(0, NAMED_OMITTED);
  }
  // A CSV's fields are read back under their column names already, which the rule leaves as they are.
  const columns = outputColumns({ properties: Object.fromEntries([...fields.keys()].map((name) => [name, {}])) }, fieldReservedNames());
  return [...fields].map(([property, counts], i) => ({
    name: columns[i]?.column ?? property,
    property,
    distinct: counts ? counts.size : MAX_DISTINCT + 1,
    top: counts ? [...counts].sort((a, b) => b[1] - a[1]).slice(0, MAX_TOP) : null,
  }));
}
