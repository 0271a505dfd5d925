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
