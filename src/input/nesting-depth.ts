import { isPlainObject } from '../util/is-plain-object.js';

/**
 * How deeply a row's field may nest arrays and objects. Every later walk over a row's values
 * recurses (JSON.stringify, lossless-json's stringify and parse, the cache key, holdsLosslessNumber
 * in structured/exact-numbers.ts) and throws "Maximum call stack size exceeded" on the default
 * stack of Node 20, 22 and 24 from about 2,600 levels (lossless-json's stringify of nested objects,
 * the first to give way; the others 3,200–4,700). 500 leaves five times that room for the frames
 * below the walk and for another Node's frame sizes, and is far beyond real data (serde_json stops
 * at 128, Ruby's JSON at 100).
 */
export const MAX_NESTING = 500;

/**
 * The first field of `row` that nests deeper than MAX_NESTING (`"x"`, or `"body.x"` in a Batch API
 * line's body), or undefined. `chars` is the row's length as text, when known: a value can only be
 * that deep with two brackets a level, so a short row is not walked at all.
 */
export function tooDeepField(row: Record<string, unknown>, chars = Number.POSITIVE_INFINITY): string | undefined {
  if (chars <= 2 * MAX_NESTING) return undefined;
  for (const [key, value] of Object.entries(row)) {
    if (!nestsDeeperThan(value, MAX_NESTING)) continue;
    if (key === 'body' && isPlainObject(value)) {
      const inner = tooDeepField(value);
      if (inner !== undefined) return `body.${inner}`;
    }
    return key;
  }
  return undefined;
}

/** True when `value` holds more than `limit` levels of arrays and objects; a loop, as the point is not to recurse. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    const depth = next.depth + 1;
    if (depth > limit) return true;
    for (const child of Object.values(next.value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth });
    }
  }
  return false;
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
      if (!nestsDeeperThan(value, MAX_NESTING)) return [[key, value]];
      return key === 'body' && isPlainObject(value) ? [[key, withoutTooDeep(value)]] : [];
    }),
  );
}
