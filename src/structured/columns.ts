import type { JsonSchema } from './strictify.js';

/** One CSV column holding one top-level property of the answer. */
export interface OutputColumn {
  property: string;
  column: string;
}

/**
 * CSV columns for the answer's top-level properties, in schema order. A property named like a
 * built-in column (`prompt`, `error_type`…) is prefixed `output_` (again until unique), so the
 * row's own columns never change meaning. A schema whose root has no properties gets one `output`
 * column with the whole value.
 */
export function outputColumns(schema: JsonSchema, builtIn: readonly string[]): OutputColumn[] {
  const props = schema.properties;
  const names = typeof props === 'object' && props !== null && !Array.isArray(props) ? Object.keys(props) : [];
  if (names.length === 0) return [{ property: '', column: unique('output', builtIn, []) }];
  const taken: string[] = [];
  return names.map((property) => {
    const column = unique(property, builtIn, [...taken, ...names.filter((n) => n !== property)]);
    taken.push(column);
    return { property, column };
  });
}

function unique(name: string, builtIn: readonly string[], others: readonly string[]): string {
  let column = name;
  while (builtIn.includes(column) || (column !== name && others.includes(column))) column = `output_${column}`;
  return column;
}

/**
 * One cell: strings as they are, numbers and booleans (`true`/`false`) as JSON writes them, null and
 * absent as empty, arrays and objects as compact JSON.
 */
export function outputCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * The value a column holds for a row's output: the property, or for a row read back from a CSV
 * (keyed by column, since CSV keeps no property names) the column. A column name is never another
 * property's name, so the two cannot be confused.
 */
export function columnValue(output: unknown, column: OutputColumn): unknown {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return column.property === '' ? output : undefined;
  const o = output as Record<string, unknown>;
  if (column.property === '') return column.column in o && Object.keys(o).length === 1 ? o[column.column] : output;
  return Object.hasOwn(o, column.property) ? o[column.property] : o[column.column];
}
