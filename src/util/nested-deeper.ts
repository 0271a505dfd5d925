/**
 * Whether JSON nests objects and arrays deeper than `limit`, found without recursion, whatever its
 * depth: what hashes, checks or prints a value recursively overflowed the stack on one nested
 * thousands of levels deep (`internal error: RangeError`).
 */
export function nestedDeeper(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** Far past any request's or schema's use, and far below the stack's reach. */
export const MAX_JSON_DEPTH = 200;

/**
 * How deeply a row's field, or an answer's JSON, may nest arrays and objects. Every later walk over
 * them recurses (JSON.stringify, lossless-json's stringify and parse, the cache key, holdsLosslessNumber
 * in structured/exact-numbers.ts) and throws "Maximum call stack size exceeded" on the default
 * stack of Node 20, 22 and 24 from about 2,600 levels (lossless-json's stringify of nested objects,
 * the first to give way; the others 3,200–4,700). 500 leaves five times that room for the frames
 * below the walk and for another Node's frame sizes, and is far beyond real data (serde_json stops
 * at 128, Ruby's JSON at 100).
 */
export const MAX_NESTING = 500;
