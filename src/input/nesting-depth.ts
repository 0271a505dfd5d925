import { isPlainObject } from '../util/is-plain-object.js';
import { MAX_NESTING, nestedDeeper } from '../util/nested-deeper.js';

export { MAX_NESTING };

/**
 * The first field of `row` that nests deeper than MAX_NESTING (`"x"`, or `"body.x"` in a Batch API
 * line's body), or undefined. `chars` is the row's length as text, when known: a value can only be
 * that deep with two brackets a level, so a short row is not walked at all.
 */
export function tooDeepField(row: Record<string, unknown>, chars = Number.POSITIVE_INFINITY): string | undefined {
  if (chars <= 2 * MAX_NESTING) return undefined;
  for (const [key, value] of Object.entries(row)) {
    if (!nestedDeeper(value, MAX_NESTING)) continue;
    if (key === 'body' && isPlainObject(value)) {
      const inner = tooDeepField(value);
      if (inner !== undefined) return `body.${inner}`;
    }
    return key;
  }
  return undefined;
}

/** The `input` error of a row whose field nests too deep. */
export function tooDeepMessage(field: string): string {
  return `${JSON.stringify(field)} is nested too deep (over ${MAX_NESTING} levels)`;
}

/**
 * `row` without its fields that nest deeper than MAX_NESTING (a Batch API line's `body` without its
 * own, as tooDeepField names them): what may be walked of a row too deep.
 */
export function withoutTooDeep(row: Record<string, unknown>): Record<string, unknown> {
  // Set as data (fromEntries): a field named `__proto__` is a field.
  return Object.fromEntries(
    Object.entries(row).flatMap(([key, value]) => {
      if (!nestedDeeper(value, MAX_NESTING)) return [[key, value]];
      return key === 'body' && isPlainObject(value) ? [[key, withoutTooDeep(value)]] : [];
    }),
  );
}
