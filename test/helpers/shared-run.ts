/**
 * A run shared by the tests that check it, started by whichever of them needs it first (a filtered
 * run too). What the tests read of it belongs in its result: a test's reset of the server comes after.
 */
export function shared<T>(start: () => Promise<T>): () => Promise<T> {
  let run: Promise<T> | undefined;
  return () => (run ??= start());
}
