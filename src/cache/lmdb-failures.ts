/**
 * How lmdb 3.5.6 reports a commit that failed (dist/index.cjs, `rejectCommit` and `startWriting`):
 * every write of the transaction rejects with "Commit failed (see commitError for details)", whose
 * `commitError` is a promise lmdb made and holds nowhere; the writer thread's status then rejects it
 * with the cause, an Error whose `code` is the errno or MDB_ code as a number (ENOSPC 28, EIO 5,
 * EFBIG 27, MDB_BAD_TXN -30782…), after printing that cause with console.error. A full disk, a
 * `ulimit -f` or a failing device fails every commit from then on, each the same way.
 */

/** lmdb's own errors (its native `throwLmdbError`): node's system errors have a string `code`. */
export type LmdbError = Error & { code: number };

export const isLmdbError = (reason: unknown): reason is LmdbError => reason instanceof Error && typeof (reason as { code?: unknown }).code === 'number';

/**
 * LMDB's words for a file whose pages say what cannot be (MDB_PAGE_NOTFOUND, MDB_CORRUPTED,
 * MDB_PANIC, MDB_INVALID): damage past the meta pages store-file-check.ts reads before opening (LMDB
 * has no checksums). Each read or write that meets it fails again, and LMDB's C code prints a line of
 * its own for it on stderr.
 */
const DAMAGE_CODES = new Set([-30797, -30796, -30795, -30793]);

export const isDamagedStoreError = (reason: unknown): reason is LmdbError => isLmdbError(reason) && DAMAGE_CODES.has(reason.code);

/**
 * A failed commit's cause in the words a path problem is said in ("file too large", "no space left
 * on device"): lmdb's message without the writer's details after it ("…: Attempting to write page at
 * position 153899008, size 262144, blocks 64, …").
 */
export function commitProblem(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (!isLmdbError(cause)) return message;
  const words = message.split(': ')[0] ?? message;
  // LMDB's own name (MDB_CORRUPTED) as it is, with its words.
  if (words.startsWith('MDB_')) return message.split(': ').slice(0, 2).join(': ');
  return words.charAt(0).toLowerCase() + words.slice(1);
}

/** A write's rejection for a failed commit: carries the promise of the commit's cause. */
const commitErrorOf = (reason: unknown): Promise<unknown> | undefined => {
  const commitError = reason instanceof Error ? (reason as { commitError?: unknown }).commitError : undefined;
  return commitError instanceof Promise ? commitError : undefined;
};

/** lmdb's promise of a commit's cause: a bare promise with its `reject` hung on it. */
const isCommitErrorPromise = (promise: unknown): boolean => promise instanceof Promise && typeof (promise as { reject?: unknown }).reject === 'function';

/** The commit-cause promises of this process's store writes, each handled when first seen. */
const held = new WeakSet<Promise<unknown>>();

const holdCommitError = (commitError: Promise<unknown>): void => {
  if (held.has(commitError)) return;
  held.add(commitError);
  commitError.catch(() => {});
};

/**
 * Whether an unhandled rejection comes from the store's writes: a commit cause this process took
 * from one of its writes, lmdb's commit-cause promise rejected with one of lmdb's errors, or a write
 * of a failed commit nobody awaited. By origin and shape, not message: the causes of a failed
 * commit are as many as the errnos of write(2).
 */
export function isStoreFailure(reason: unknown, promise?: Promise<unknown>): boolean {
  if (promise !== undefined && held.has(promise)) return true;
  if (isCommitErrorPromise(promise) && isLmdbError(reason)) return true;
  return commitErrorOf(reason) !== undefined;
}

/**
 * A store write, held: its rejection's commit cause is handled at once (nothing else can hold it),
 * and it rejects with that cause ("No space left on device") rather than lmdb's "Commit failed (see
 * commitError for details)" when the cause comes with it, as it does (the same writer callback).
 */
export function heldWrite<T>(write: Promise<T>): Promise<T> {
  return write.catch(async (err: unknown) => {
    const commitError = commitErrorOf(err);
    if (!commitError) throw err;
    holdCommitError(commitError);
    const cause = await Promise.race([
      commitError.then(
        () => err,
        (why: unknown) => why,
      ),
      new Promise<unknown>((resolve) => setImmediate(resolve, err)),
    ]);
    throw cause;
  });
}

/** A write whose outcome nobody waits for: its failure is reported through another write's. */
export function ignoredWrite(write: Promise<unknown>): void {
  heldWrite(write).catch(() => {});
}

/** An lmdb database as quietLmdbConsole sees it: its native environment, whose writer lmdb starts. */
interface LmdbDatabase {
  env?: { startWriting?: (address: number, callback: (status: number) => unknown) => unknown };
}

/** The writer's statuses that are no failure (lmdb's `startWriting`: done, still writing, run the callbacks). */
const WRITER_OK = new Set([0, 1, 2]);

const quietened = new WeakSet<object>();

/**
 * lmdb prints a failed commit's cause with console.error: a stack trace on stderr for each failed
 * commit, where the cache reports one line for all (answer-cache's onError). It prints it from the
 * callback it hands its native writer (`env.startWriting`, once per batch of writes) with the
 * writer's failed status: only there, and only while that callback runs, is one of lmdb's own
 * errors printed alone dropped. console.error is otherwise left as it is: a host app's own lines,
 * whatever they log, reach it. Set on each opened database's environment (the method is read-only
 * on lmdb's native class, so the environment gets its own).
 */
export function quietLmdbConsole(db: object): void {
  const env = (db as LmdbDatabase).env;
  const start = env?.startWriting;
  if (!env || typeof start !== 'function' || quietened.has(env)) return;
  quietened.add(env);
  const startWriting = function (this: unknown, address: number, callback: (status: number) => unknown) {
    return start.call(this, address, (status: number) => (WRITER_OK.has(status) ? callback(status) : quietly(() => callback(status))));
  };
  Object.defineProperty(env, 'startWriting', { value: startWriting, configurable: true, writable: true });
}

/** Runs `run` with console.error dropping a lone lmdb error, then puts console.error back. */
function quietly<T>(run: () => T): T {
  const error = console.error;
  console.error = (...args: unknown[]) => {
    if (args.length === 1 && isLmdbError(args[0])) return;
    error.apply(console, args);
  };
  try {
    return run();
  } finally {
    console.error = error;
  }
}
