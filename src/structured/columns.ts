import { keptNumberText, stringifyExact } from './exact-numbers.js';
import type { JsonSchema } from './strictify.js';
import { sameColumn } from '../util/column-key.js';

/** One CSV column holding one top-level property of the answer, or (`whole`) all of it. */
export interface OutputColumn {
  property: string;
  column: string;
  /** The whole answer (--json, a root without properties): its shape is unknown. */
  whole?: true;
}

/**
 * CSV columns for the answer's top-level properties, in schema order. A property named like a
 * built-in column (`prompt`, `error_type`…, in any case: `ID` is `id` to SQL), or named "" (a header
 * cell must name its column), is prefixed `output_` (again until unique), so the row's own columns
 * never change meaning; so is one that is an earlier property's column in another case (`title`,
 * `Title` are `title`, `output_Title`). A schema whose root has no properties gets one `output`
 * column with the whole value. `caseSensitive`: names as llm-batch gave them before case counted (`ID` beside
 * `id`), to continue a file written then.
 */
export function outputColumns(schema: JsonSchema, builtIn: readonly string[], { caseSensitive = false } = {}): OutputColumn[] {
  const props = schema.properties;
  const names = typeof props === 'object' && props !== null && !Array.isArray(props) ? Object.keys(props) : [];
  const same = caseSensitive ? (a: string, b: string) => a === b : sameColumn;
  if (names.length === 0) return [{ property: '', column: unique('output', builtIn, [], [], same), whole: true }];
  const taken: string[] = [];
  return names.map((property) => {
    const column = unique(
      property,
      builtIn,
      taken,
      names.filter((n) => n !== property),
      same,
    );
    taken.push(column);
    return { property, column };
  });
}

/**
 * `name`, or `output_` in front until neither a built-in column nor an earlier property's column
 * has it; a prefixed name also steers clear of the other properties' names, so that none of them
 * loses its own.
 */
function unique(
  name: string,
  builtIn: readonly string[],
  taken: readonly string[],
  others: readonly string[],
  same: (a: string, b: string) => boolean,
): string {
  const clashes = (column: string) =>
    builtIn.some((b) => same(b, column)) || taken.some((t) => same(t, column)) || (column !== name && others.some((o) => same(o, column)));
  let column = name;
  while (column === '' || clashes(column)) column = `output_${column}`;
  return column;
}

/**
 * One cell: strings as they are, numbers and booleans (`true`/`false`) as JSON writes them (a number
 * a double cannot hold as the answer wrote it), null and absent as empty, arrays and objects as
 * compact JSON.
 */
export function outputCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return keptNumberText(value) ?? stringifyExact(value);
}

/**
 * The value a column holds for a row's output: the whole output, or its property. A row read back
 * from a CSV holds its fields keyed by column and is written with the layout of that file's header,
 * whose columns are their own properties (see layoutOfHeader).
 */
export function columnValue(output: unknown, column: OutputColumn): unknown {
  if (column.whole) return output;
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return undefined;
  return Object.hasOwn(output, column.property) ? (output as Record<string, unknown>)[column.property] : undefined;
}
