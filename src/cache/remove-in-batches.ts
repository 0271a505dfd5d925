import { heldWrite } from './lmdb-failures.js';

/**
 * Keys removed per transaction. LMDB copies every page a transaction changes and reuses the pages it
 * frees only in later ones: `cache prune` in one transaction grew a 1M-answer file from 518 to 883
 * MB while removing half its answers, and on a nearly full disk failed having removed nothing.
 * Thousands of keys a transaction leave each commit small, and the pages one frees serve the next.
 */
const REMOVE_BATCH = 4096;

interface From {
  start?: Buffer;
  exclusiveStart?: boolean;
}

/** What {@link removeInBatches} needs of an lmdb database: range reads, a removal, a transaction. */
export interface RemovableDatabase<V> {
  getRange(options: From): Iterable<{ key: Buffer; value: V }>;
  getKeys(options: From): Iterable<Buffer>;
  remove(key: Buffer): unknown;
  transaction<T>(action: () => T): Promise<T>;
}

/** Which entries go: by key, and by value when `value` is given (else no value is read). */
export interface Doomed<V> {
  key: (key: Buffer) => boolean;
  value?: (value: V) => boolean;
}

/** A removal whose commit failed: the transactions committed before it stay committed. */
export class RemovalFailedError extends Error {
  constructor(
    /** Entries removed by the transactions committed before the failure. */
    readonly removed: number,
    override readonly cause: unknown,
    /** The store file it failed in, once the store knows it. */
    readonly file = '',
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * Removes the entries `doomed` picks, at most `batch` a transaction; returns how many. Each batch is
 * read afresh after the one before committed, so no read snapshot keeps the freed pages from reuse.
 * Throws {@link RemovalFailedError} with the count removed so far when a commit fails.
 */
export async function removeInBatches<V>(db: RemovableDatabase<V>, doomed: Doomed<V>, batch = REMOVE_BATCH): Promise<number> {
  let removed = 0;
  let after: Buffer | undefined;
  for (;;) {
    const keys: Buffer[] = [];
    for (const key of doomedKeys(db, doomed, after ? { start: after, exclusiveStart: true } : {})) {
      // Copied: lmdb may hand out the next key in the same buffer.
      keys.push(Buffer.from(key));
      if (keys.length === batch) break;
    }
    if (keys.length > 0) {
      try {
        await heldWrite(
          db.transaction(() => {
            for (const key of keys) db.remove(key);
          }),
        );
      } catch (cause) {
        throw new RemovalFailedError(removed, cause);
      }
      removed += keys.length;
    }
    // A full batch ends at its last key: the next one starts past it.
    if (keys.length < batch) return removed;
    after = keys[batch - 1];
  }
}

/** The keys `doomed` picks from `from` on, values read only when it looks at them. */
function* doomedKeys<V>(db: RemovableDatabase<V>, doomed: Doomed<V>, from: From): Generator<Buffer> {
  const { key: byKey, value: byValue } = doomed;
  if (!byValue) {
    for (const key of db.getKeys(from)) if (byKey(key)) yield key;
    return;
  }
  for (const { key, value } of db.getRange(from)) if (byKey(key) && byValue(value)) yield key;
}
